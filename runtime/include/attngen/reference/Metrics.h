//===- Metrics.h - Error metrics of an output against a reference -*- C++ -*-===//
//
// The accuracy numbers every test and benchmark reports (DESIGN.md's protocol):
// cosine similarity, relative L1 (sum|o - ref| / sum|ref|), RMSE, max abs
// error, and how many values are NaN or Inf. Sums run in FP64.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_REFERENCE_METRICS_H
#define ATTNGEN_REFERENCE_METRICS_H

#include <cstddef>
#include <string>
#include <vector>

namespace attngen::ref {

struct ErrorMetrics {
  size_t count = 0;     ///< elements compared
  size_t nonFinite = 0; ///< elements where out or ref is NaN/Inf (and they differ)
  double cosine = 1;    ///< 1 when both are all zero
  double relL1 = 0;     ///< 0 when both are all zero; +inf when only ref is
  double rmse = 0;
  double maxAbs = 0;
  double refRms = 0; ///< RMS of the reference, to read rmse relatively

  /// One line: "cos=0.999991 relL1=2.1e-03 rmse=1.3e-03 maxAbs=1.2e-02 nonfinite=0 n=65536".
  std::string str() const;
};

/// Compares `out` with `ref` element-wise; both of length n. An element where
/// both hold the same infinity (the LSE of a fully masked row, -inf) counts as
/// equal; any other non-finite element is counted in nonFinite and left out
/// of the sums.
ErrorMetrics compare(const float *out, const float *ref, size_t n);
ErrorMetrics compare(const std::vector<float> &out, const std::vector<float> &ref);

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_METRICS_H
