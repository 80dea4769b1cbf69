//===- Tolerance.h - Bounds a GPU kernel's output must meet ------*- C++ -*-===//
//
// A kernel is checked twice: against the emulation of its variant (tight: the
// two do the same arithmetic) and against the exact reference (loose: the
// variant's quantization error, which the emulation measures). The bounds are
// derived from the emulation's own error, never hard-coded per variant.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_REFERENCE_TOLERANCE_H
#define ATTNGEN_REFERENCE_TOLERANCE_H

#include "attngen/Spec/Variant.h"
#include "attngen/reference/Metrics.h"

#include <string>

namespace attngen::ref {

struct Bounds {
  double minCosine = 1;
  double maxRelL1 = 0;
  double maxRelRmse = 0; ///< rmse / refRms
  size_t maxNonFinite = 0;

  /// Empty when `m` is within the bounds, else which bound failed and by how much.
  std::string check(const ErrorMetrics &m) const;
  std::string str() const;
};

struct KernelBounds {
  Bounds vsEmulation; ///< kernel O against the emulation's O
  Bounds vsExact;     ///< kernel O against the exact reference's O
  double maxLseAbs = 0; ///< |kernel LSE - emulation LSE|, where finite
};

/// `emuVsExact`: the emulation's O against the exact O on the same inputs;
/// `emuLseVsExact`: the same for the LSE. `output` is the kernel's output type.
KernelBounds deriveBounds(const ErrorMetrics &emuVsExact, const ErrorMetrics &emuLseVsExact,
                          DType output);

/// Unit roundoff of storing a value in `t` (2^-8 bf16, 2^-11 fp16, 2^-24 fp32).
double unitRoundoff(DType t);

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_TOLERANCE_H
