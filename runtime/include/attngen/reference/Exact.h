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

#include "attngen/reference/Shape.h"

#include <optional>
#include <string>

namespace attngen::ref {

struct ExactOptions {
  double scale = 0; ///< softmax scale; 0 means 1/sqrt(D)
  bool causal = false;
  int threads = 0; ///< 0: every hardware thread
};

/// Returns nullopt and sets `error` when the shape or the array sizes are wrong.
std::optional<AttnOutput> exactAttention(const AttnInputs &in, const ExactOptions &opts,
                                         std::string &error);

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_EXACT_H
