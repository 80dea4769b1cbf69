//===- Shape.cpp - Shape validation ---------------------------------------===//
#include "attngen/reference/Shape.h"

#include <fmt/format.h>

namespace attngen::ref {

std::string validate(const AttnShape &s) {
  if (s.batch < 1 || s.headsQ < 1 || s.headsKv < 1 || s.seqQ < 1 || s.seqK < 1 ||
      s.headDim < 1)
    return fmt::format("every extent must be >= 1 (B={} Hq={} Hkv={} Nq={} Nk={} D={})",
                       s.batch, s.headsQ, s.headsKv, s.seqQ, s.seqK, s.headDim);
  if (s.headsQ % s.headsKv != 0)
    return fmt::format("Hq={} is not a multiple of Hkv={}", s.headsQ, s.headsKv);
  return {};
}

} // namespace attngen::ref
