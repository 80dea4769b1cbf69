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

AttnInputs batchPrefix(const AttnInputs &in, int b, int seqK) {
  const AttnShape &s = in.shape;
  AttnInputs out;
  out.shape = s;
  out.shape.batch = 1;
  out.shape.seqK = seqK;
  out.alibiSlopes = in.alibiSlopes;
  out.biasRank = in.biasRank;
  const size_t D = size_t(s.headDim), R = size_t(std::max(in.biasRank, 0));
  // Rows [0, keep) of each head's [rows, width] block of batch b.
  auto cut = [&](const std::vector<float> &x, int heads, int rows, int keep, size_t width) {
    std::vector<float> y;
    if (x.empty())
      return y;
    y.reserve(size_t(heads) * keep * width);
    for (int h = 0; h < heads; ++h) {
      const size_t at = (size_t(b) * heads + h) * rows * width;
      y.insert(y.end(), x.begin() + at, x.begin() + at + size_t(keep) * width);
    }
    return y;
  };
  out.q = cut(in.q, s.headsQ, s.seqQ, s.seqQ, D);
  out.k = cut(in.k, s.headsKv, s.seqK, seqK, D);
  out.v = cut(in.v, s.headsKv, s.seqK, seqK, D);
  out.biasQ = cut(in.biasQ, s.headsQ, s.seqQ, s.seqQ, R);
  out.biasK = cut(in.biasK, s.headsQ, s.seqK, seqK, R);
  if (!in.biasDense.empty()) {
    const std::vector<float> rows = cut(in.biasDense, s.headsQ, s.seqQ, s.seqQ, size_t(s.seqK));
    out.biasDense.reserve(size_t(s.headsQ) * s.seqQ * seqK);
    for (size_t r = 0; r < size_t(s.headsQ) * s.seqQ; ++r)
      out.biasDense.insert(out.biasDense.end(), rows.begin() + r * s.seqK,
                           rows.begin() + r * s.seqK + seqK);
  }
  return out;
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
