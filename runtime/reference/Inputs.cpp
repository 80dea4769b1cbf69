//===- Inputs.cpp - Seeded input generators -------------------------------===//
#include "attngen/reference/Inputs.h"

#include "Rng.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attngen::ref {

namespace {

void fillNormal(std::vector<float> &x, size_t n, Rng &rng) {
  x.resize(n);
  for (float &e : x)
    e = float(rng.normal());
}

/// Rotate-half RoPE on one row: channels (c, c + D/2) turn by pos * theta_c.
void rope(float *row, int D, int pos) {
  const int half = D / 2;
  for (int c = 0; c < half; ++c) {
    const double theta = std::pow(10000.0, -2.0 * c / D) * pos;
    const double x0 = row[c], x1 = row[c + half];
    row[c] = float(x0 * std::cos(theta) - x1 * std::sin(theta));
    row[c + half] = float(x0 * std::sin(theta) + x1 * std::cos(theta));
  }
}

} // namespace

AttnInputs randomNormal(const AttnShape &shape, uint64_t seed) {
  Rng rng(seed);
  AttnInputs in;
  in.shape = shape;
  fillNormal(in.q, shape.qElems(), rng);
  fillNormal(in.k, shape.kvElems(), rng);
  fillNormal(in.v, shape.kvElems(), rng);
  return in;
}

AttnInputs activationLike(const AttnShape &s, uint64_t seed, const ActivationOptions &o) {
  AttnInputs in = randomNormal(s, seed);
  Rng rng(seed ^ 0x5eed5eed5eed5eedull);
  const int D = s.headDim, half = D / 2;
  const double smScale = 1.0 / std::sqrt(double(D));
  auto qRow = [&](int b, int h, int n) {
    return &in.q[AttnShape::rowOffset(b, h, n, s.headsQ, s.seqQ, D)];
  };
  auto kRow = [&](int b, int h, int n) {
    return &in.k[AttnShape::rowOffset(b, h, n, s.headsKv, s.seqK, D)];
  };
  auto vRow = [&](int b, int h, int n) {
    return &in.v[AttnShape::rowOffset(b, h, n, s.headsKv, s.seqK, D)];
  };

  for (int b = 0; b < s.batch; ++b)
    for (int hk = 0; hk < s.headsKv; ++hk) {
      // Outlier pairs of this kv head, shared by its query heads (GQA): K
      // pairs scaled by f (Q by 1/f), then Q pairs by f (K by 1/f).
      std::vector<float> kPair(static_cast<size_t>(half), 1.f);
      for (int i = 0; i < 2 * std::min(o.outlierPairs, half / 2); ++i) {
        const float f = float(rng.uniform(o.outlierMin, o.outlierMax));
        kPair[size_t(rng.below(half))] = i % 2 == 0 ? f : 1 / f;
      }
      auto scaleAndRotate = [&](float *row, int pos, bool isQ) {
        for (int c = 0; c < half; ++c) {
          const float f = isQ ? 1 / kPair[size_t(c)] : kPair[size_t(c)];
          row[c] *= f;
          row[c + half] *= f;
        }
        rope(row, D, pos);
      };
      // Queries are the last Nq positions (bottom-right aligned, as decoding).
      const int qPos0 = std::max(0, s.seqK - s.seqQ);
      for (int g = 0; g < s.gqa(); ++g)
        for (int n = 0; n < s.seqQ; ++n)
          scaleAndRotate(qRow(b, hk * s.gqa() + g, n), qPos0 + n, true);
      for (int n = 0; n < s.seqK; ++n)
        scaleAndRotate(kRow(b, hk, n), n, false);

      // Attention sink on key 0 along a random unit direction u:
      // k_0 = a u, q_i += a u for a fraction of queries, a^2 * s = sinkLogit.
      if (o.sinkLogit > 0) {
        std::vector<double> u(static_cast<size_t>(D));
        double norm = 0;
        // u avoids the outlier pairs, whose 10-20x Q or K channels would
        // add noise of their own size to the sink's logit.
        for (int d = 0; d < D; ++d) {
          const double x = rng.normal();
          u[size_t(d)] = kPair[size_t(d % half)] == 1.f ? x : 0.0;
          norm += u[size_t(d)] * u[size_t(d)];
        }
        const double a = std::sqrt(o.sinkLogit / smScale) / std::sqrt(norm);
        float *k0 = kRow(b, hk, 0);
        for (int d = 0; d < D; ++d)
          k0[d] = float(a * u[size_t(d)]);
        for (int g = 0; g < s.gqa(); ++g)
          for (int n = 0; n < s.seqQ; ++n)
            if (rng.uniform() < o.sinkFraction) {
              float *q = qRow(b, hk * s.gqa() + g, n);
              for (int d = 0; d < D; ++d)
                q[d] += float(a * u[size_t(d)]);
            }
      }

      // Channel biases of K (and optionally V), constant over tokens.
      for (int d = 0; d < D; ++d) {
        const float kb = float(rng.uniform(0, o.kBiasMax) * (rng.below(2) ? 1 : -1));
        const float vb = float(rng.uniform(0, o.vBiasMax) * (rng.below(2) ? 1 : -1));
        for (int n = 0; n < s.seqK; ++n) {
          kRow(b, hk, n)[d] += kb;
          vRow(b, hk, n)[d] += vb;
        }
      }
    }

  // Sharp heads: scaling Q scales every score of the head.
  if (o.sharpEvery > 0)
    for (int b = 0; b < s.batch; ++b)
      for (int h = o.sharpEvery - 1; h < s.headsQ; h += o.sharpEvery)
        for (int n = 0; n < s.seqQ; ++n)
          for (int d = 0; d < D; ++d)
            qRow(b, h, n)[d] *= o.sharpFactor;

  // Padding runs, zero in Q, K and V of every head of the batch.
  for (int b = 0; b < s.batch; ++b)
    for (int r = 0; r < o.paddingRuns; ++r) {
      const int start = rng.below(std::max(1, s.seqK));
      for (int n = start; n < std::min(s.seqK, start + o.paddingLength); ++n)
        for (int hk = 0; hk < s.headsKv; ++hk) {
          std::fill(kRow(b, hk, n), kRow(b, hk, n) + D, 0.f);
          std::fill(vRow(b, hk, n), vRow(b, hk, n) + D, 0.f);
        }
      const int qStart = rng.below(std::max(1, s.seqQ));
      for (int n = qStart; n < std::min(s.seqQ, qStart + o.paddingLength); ++n)
        for (int h = 0; h < s.headsQ; ++h)
          std::fill(qRow(b, h, n), qRow(b, h, n) + D, 0.f);
    }
  return in;
}

void addLowRankBias(AttnInputs &in, int rank, uint64_t seed, double biasStd) {
  const AttnShape &s = in.shape;
  Rng rng(seed ^ 0x6c6f7772616e6b00ull); // "lowrank"
  // qb . kb sums R products of two N(0, sigma^2) values: variance R sigma^4.
  const float sigma = float(std::sqrt(biasStd / std::sqrt(double(std::max(rank, 1)))));
  in.biasRank = rank;
  fillNormal(in.biasQ, size_t(s.batch) * s.headsQ * s.seqQ * size_t(rank), rng);
  fillNormal(in.biasK, size_t(s.batch) * s.headsQ * s.seqK * size_t(rank), rng);
  for (float &x : in.biasQ)
    x *= sigma;
  for (float &x : in.biasK)
    x *= sigma;
}

void addDenseBias(AttnInputs &in, uint64_t seed, double biasStd, double maskFraction) {
  const AttnShape &s = in.shape;
  Rng rng(seed ^ 0x64656e7365626961ull); // "densebia"
  const size_t rows = size_t(s.batch) * s.headsQ * s.seqQ, cols = size_t(s.seqK);
  in.biasDense.resize(rows * cols);
  const float ninf = -std::numeric_limits<float>::infinity();
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < cols; ++j) {
      const double x = rng.normal() * biasStd;
      in.biasDense[r * cols + j] =
          r % size_t(s.seqQ) == size_t(s.seqQ / 3) || rng.uniform() < maskFraction ? ninf
                                                                                   : float(x);
    }
}

} // namespace attngen::ref
