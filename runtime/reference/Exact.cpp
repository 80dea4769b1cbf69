//===- Exact.cpp - Exact attention on the CPU -----------------------------===//
#include "attngen/reference/Exact.h"

#include "Parallel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace attngen::ref {

namespace {

// Query rows per work item: small enough to balance causal rows on 16 threads,
// large enough that each item reuses its head's K/V copy.
constexpr int kRowsPerItem = 32;

std::string checkSizes(const AttnInputs &in) {
  if (std::string e = validate(in.shape); !e.empty())
    return e;
  const AttnShape &s = in.shape;
  if (in.q.size() != s.qElems() || in.k.size() != s.kvElems() ||
      in.v.size() != s.kvElems())
    return fmt::format("tensor sizes q={} k={} v={} do not match the shape (q={} kv={})",
                       in.q.size(), in.k.size(), in.v.size(), s.qElems(), s.kvElems());
  return validateBiasFactors(in);
}

} // namespace

std::vector<float> standardAlibiSlopes(int heads) {
  std::vector<float> slopes(size_t(std::max(heads, 0)));
  for (int h = 0; h < heads; ++h)
    slopes[size_t(h)] = float(alibiSlope(h, heads));
  return slopes;
}

ExactOptions exactOptionsFor(const Variant &v, int headsQ, const std::vector<float> &slopes) {
  ExactOptions eo;
  eo.scale = v.effectiveScale();
  eo.causal = v.mask == MaskKind::Causal;
  eo.windowLeft = v.window_left;
  eo.windowRight = v.window_right;
  // The kernel holds the cap as a float (Cfg::kSoftcap).
  eo.softcap = double(float(v.softcap));
  if (v.bias == BiasKind::Alibi) {
    const std::vector<float> s = slopes.empty() ? standardAlibiSlopes(headsQ) : slopes;
    eo.alibiSlopes.assign(s.begin(), s.end());
  }
  return eo;
}

std::optional<AttnOutput> exactAttention(const AttnInputs &in, const ExactOptions &opts,
                                         std::string &error) {
  if (std::string e = checkSizes(in); !e.empty()) {
    error = "exactAttention: " + e;
    return std::nullopt;
  }
  const AttnShape &s = in.shape;
  const int D = s.headDim, Nq = s.seqQ, Nk = s.seqK, gqa = s.gqa(), R = in.biasRank;
  const double scale = opts.scale > 0 ? opts.scale : 1.0 / std::sqrt(double(D));
  if (!opts.alibiSlopes.empty() && opts.alibiSlopes.size() != size_t(s.headsQ)) {
    error = fmt::format("exactAttention: {} ALiBi slopes for {} query heads",
                        opts.alibiSlopes.size(), s.headsQ);
    return std::nullopt;
  }
  if (opts.windowLeft < -1 || opts.windowRight < -1) {
    error = fmt::format("exactAttention: window ({}, {}): sides are -1 or >= 0", opts.windowLeft,
                        opts.windowRight);
    return std::nullopt;
  }
  const int right = opts.causal ? 0 : opts.windowRight; // -1: unbounded

  AttnOutput out;
  out.o.assign(s.qElems(), 0.f);
  out.lse.assign(s.lseElems(), 0.f);

  const int rowBlocks = (Nq + kRowsPerItem - 1) / kRowsPerItem;
  const size_t items = size_t(s.batch) * s.headsQ * rowBlocks;
  parallelFor(items, opts.threads, [&](size_t item) {
    const int rb = int(item % rowBlocks);
    const int h = int(item / rowBlocks % s.headsQ);
    const int b = int(item / rowBlocks / s.headsQ);
    const int hk = h / gqa;
    const float *K = &in.k[AttnShape::rowOffset(b, hk, 0, s.headsKv, Nk, D)];
    const float *V = &in.v[AttnShape::rowOffset(b, hk, 0, s.headsKv, Nk, D)];
    std::vector<double> q(static_cast<size_t>(D)), acc(static_cast<size_t>(D)),
        score(static_cast<size_t>(Nk));
    for (int i = rb * kRowsPerItem; i < std::min(Nq, (rb + 1) * kRowsPerItem); ++i) {
      const size_t qo = AttnShape::rowOffset(b, h, i, s.headsQ, Nq, D);
      for (int d = 0; d < D; ++d)
        q[size_t(d)] = in.q[qo + size_t(d)];
      // Keys this row sees: [first, last) (causal / window, bottom-right).
      const int diag = Nk - Nq;
      const int last = right >= 0 ? std::min(Nk, std::max(0, i + diag + right + 1)) : Nk;
      const int first = opts.windowLeft >= 0 ? std::min(Nk, std::max(0, i + diag - opts.windowLeft)) : 0;
      const double slope = opts.alibiSlopes.empty() ? 0.0 : opts.alibiSlopes[size_t(h)];
      const size_t lseIdx = (size_t(b) * s.headsQ + h) * Nq + i;
      if (last <= first) {
        out.lse[lseIdx] = -std::numeric_limits<float>::infinity();
        continue; // O stays 0: the fully-masked-row rule
      }
      double m = -std::numeric_limits<double>::infinity();
      for (int j = first; j < last; ++j) {
        const float *kr = K + size_t(j) * D;
        // Four partial sums: independent chains the compiler can pipeline.
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int d = 0;
        for (; d + 4 <= D; d += 4) {
          a0 += q[size_t(d)] * kr[d];
          a1 += q[size_t(d) + 1] * kr[d + 1];
          a2 += q[size_t(d) + 2] * kr[d + 2];
          a3 += q[size_t(d) + 3] * kr[d + 3];
        }
        for (; d < D; ++d)
          a0 += q[size_t(d)] * kr[d];
        double z = scale * ((a0 + a1) + (a2 + a3));
        if (opts.softcap > 0)
          z = opts.softcap * std::tanh(z / opts.softcap);
        z -= slope * std::abs(double(i + diag - j));
        if (R > 0) {
          const float *qb = &in.biasQ[((size_t(b) * s.headsQ + h) * Nq + i) * R];
          const float *kb = &in.biasK[((size_t(b) * s.headsQ + h) * Nk + j) * R];
          for (int r = 0; r < R; ++r)
            z += double(qb[r]) * kb[r];
        }
        if (!in.biasDense.empty())
          z += in.biasDense[((size_t(b) * s.headsQ + h) * Nq + i) * Nk + size_t(j)];
        score[size_t(j)] = z;
        m = std::max(m, z);
      }
      if (m == -std::numeric_limits<double>::infinity()) {
        out.lse[lseIdx] = -std::numeric_limits<float>::infinity();
        continue; // a bias of -inf on every visible key: the same rule
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      double l = 0;
      for (int j = first; j < last; ++j) {
        const double p = std::exp(score[size_t(j)] - m);
        l += p;
        const float *vr = V + size_t(j) * D;
        for (int d = 0; d < D; ++d)
          acc[size_t(d)] += p * vr[d];
      }
      for (int d = 0; d < D; ++d)
        out.o[qo + size_t(d)] = float(acc[size_t(d)] / l);
      out.lse[lseIdx] = float(m + std::log(l));
    }
  });
  return out;
}

} // namespace attngen::ref
