//===- Inputs.h - Seeded input generators for accuracy tests ----*- C++ -*-===//
//
// Deterministic (own PRNG and Box-Muller, identical on every platform) Q, K, V
// in [B, H, N, D]: plain normal inputs and "activation-like" inputs that carry
// the features real LLM activations have and that break naive quantization.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_REFERENCE_INPUTS_H
#define ATTNGEN_REFERENCE_INPUTS_H

#include "attngen/reference/Shape.h"

#include <cstdint>

namespace attngen::ref {

/// Q, K, V with i.i.d. N(0, 1) elements.
AttnInputs randomNormal(const AttnShape &shape, uint64_t seed);

/// Each feature of activationLike(); every one is on by default, and a field
/// at 0 turns its feature off.
struct ActivationOptions {
  /// K channel bias: each (batch, kv head, channel) of K gets a constant
  /// offset of magnitude uniform in [0, kBiasMax] and random sign, added
  /// after RoPE as real post-RoPE keys carry it. Exact for attention (softmax
  /// ignores it) but it dominates K's range: what K smoothing removes.
  float kBiasMax = 8.f;
  /// Outlier channel pairs: `outlierPairs` RoPE pairs (channels c and
  /// c + D/2, the rotate-half convention) of K are scaled by f uniform in
  /// [outlierMin, outlierMax] and the same pairs of Q by 1/f, and as many
  /// other pairs of Q by f (K by 1/f); then a real RoPE rotation (position =
  /// token, theta_c = 10000^(-2c/D)) spreads each outlier over both channels
  /// of its pair, position-dependently. The pair scalings cancel in every
  /// q . k (exact channel balancing run backwards), so the scores keep a
  /// realistic spread while both Q's and K's ranges blow up 10-20x.
  int outlierPairs = 2;
  float outlierMin = 10.f, outlierMax = 20.f;
  /// Attention sink: key 0 is set to sinkLogit-sized alignment with a random
  /// unit direction u, and a fraction sinkFraction of the queries get a
  /// component along u, so s * q_i . k_0 is about sinkLogit for them: most
  /// rows put most of their mass on one token, as LLM heads do on BOS.
  float sinkLogit = 8.f;
  float sinkFraction = 0.9f;
  /// Sharp heads: every sharpEvery-th query head (h % sharpEvery ==
  /// sharpEvery - 1) has Q scaled by sharpFactor, so its scores spread over
  /// tens of units and softmax is near one-hot (P mass in few keys).
  int sharpEvery = 4;
  float sharpFactor = 6.f;
  /// Padding runs: per batch, paddingRuns runs of paddingLength tokens
  /// (random starts) are all-zero in Q, K and V of every head, after every
  /// other feature: zero quantization groups, zero scores, no NaN allowed.
  int paddingRuns = 2;
  int paddingLength = 16;
  /// Optional V channel bias (what V smoothing removes); off by default.
  float vBiasMax = 0.f;
};

AttnInputs activationLike(const AttnShape &shape, uint64_t seed,
                          const ActivationOptions &opts = {});

/// Sets in.biasRank = rank and fills in.biasQ / in.biasK with i.i.d. normal
/// factors scaled so that each bias qb_i . kb_j has standard deviation
/// `biasStd` (natural-log units): a bias of the scores' own size.
void addLowRankBias(AttnInputs &in, int rank, uint64_t seed, double biasStd = 2.0);

/// Fills in.biasDense [B, Hq, Nq, Nk] with i.i.d. normal values of standard
/// deviation `biasStd`, a fraction `maskFraction` of entries at -inf (a
/// boolean mask folded in), and query row Nq / 3 of every head at -inf
/// throughout (a fully masked row: O = 0, LSE = -inf).
void addDenseBias(AttnInputs &in, uint64_t seed, double biasStd = 1.5,
                  double maskFraction = 0.1);

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_INPUTS_H
