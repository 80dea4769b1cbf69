//===- Exact.h - Exact attention on the CPU ---------------------*- C++ -*-===//
//
// softmax(s * Q K^T + mask) V in FP64 (scores, exponentials, sums and the PV
// accumulation), rounded to float at the end. GQA, bottom-right aligned causal
// mask, natural-log LSE. A query row that sees no key gets O = 0 and
// LSE = -inf. Work is split over (batch, head, row block) on std::threads.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_REFERENCE_EXACT_H
#define ATTNGEN_REFERENCE_EXACT_H

#include "attngen/Spec/Variant.h"
#include "attngen/reference/Shape.h"

#include <optional>
#include <string>
#include <vector>

namespace attngen::ref {

struct ExactOptions {
  // A constructor keeps the brace form {scale, causal, threads} of callers
  // free of missing-initializer warnings for the fields below.
  ExactOptions(double scale = 0, bool causal = false, int threads = 0)
      : scale(scale), causal(causal), threads(threads) {}

  double scale = 0; ///< softmax scale; 0 means 1/sqrt(D)
  bool causal = false;
  int threads = 0; ///< 0: every hardware thread
  /// Score modifiers (Variant's window_left / window_right, softcap, bias):
  /// query i sees keys j in [i + diag - windowLeft, i + diag + windowRight]
  /// (diag = Nk - Nq, -1 unbounded; causal caps the right side at 0); the
  /// score is softcap * tanh(scale q.k / softcap) - slope_h |i + diag - j|
  /// (+ qb_i . kb_j with AttnInputs::biasRank > 0, the low-rank bias).
  int windowLeft = -1, windowRight = -1;
  double softcap = 0;              ///< 0: none
  std::vector<double> alibiSlopes; ///< [Hq] per query head; empty: no ALiBi
};

/// The options that make exactAttention compute `variant` (scale, mask,
/// window, softcap; with bias = alibi, `slopes` or else the standard ones,
/// rounded to float as the kernel reads them: AttnInputs::alibiSlopes).
ExactOptions exactOptionsFor(const Variant &variant, int headsQ,
                             const std::vector<float> &slopes = {});

/// The standard ALiBi slopes of `heads` query heads, as floats (alibiSlope).
std::vector<float> standardAlibiSlopes(int heads);

/// Returns nullopt and sets `error` when the shape or the array sizes are wrong.
std::optional<AttnOutput> exactAttention(const AttnInputs &in, const ExactOptions &opts,
                                         std::string &error);

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_EXACT_H
