//===- Shape.cpp - Shape validation ---------------------------------------===//
#include "attngen/reference/Shape.h"

#include <fmt/format.h>

#include <algorithm>

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

std::string validateBiasFactors(const AttnInputs &in) {
  const AttnShape &s = in.shape;
  const size_t r = size_t(std::max(in.biasRank, 0));
  const size_t wantQ = size_t(s.batch) * s.headsQ * s.seqQ * r;
  const size_t wantK = size_t(s.batch) * s.headsQ * s.seqK * r;
  if (in.biasRank < 0 || in.biasQ.size() != wantQ || in.biasK.size() != wantK)
    return fmt::format("low-rank bias factors of rank {}: qb has {} values, kb {}; the shape "
                       "needs [B, Hq, Nq, R] = {} and [B, Hq, Nk, R] = {}",
                       in.biasRank, in.biasQ.size(), in.biasK.size(), wantQ, wantK);
  const size_t wantDense = size_t(s.batch) * s.headsQ * s.seqQ * size_t(s.seqK);
  if (!in.biasDense.empty() && in.biasDense.size() != wantDense)
    return fmt::format("the dense bias has {} values; the shape needs [B, Hq, Nq, Nk] = {}",
                       in.biasDense.size(), wantDense);
  return {};
}

} // namespace attngen::ref
