//===- Tolerance.cpp - Bounds a GPU kernel's output must meet -------------===//
//
// The derivation. Let e = ||O_emu - O_exact|| / ||O_exact|| be the emulation's
// relative error (quantization of Q, K, V and P: the variant's own error).
// The kernel differs from the emulation only where the two do the same math
// differently: ex2.approx against exp2 (about 2 ulp, 2^-22 relative), the
// order of float sums (row sums, the tensor cores' accumulators, ~2^-22), and
// the division / fused operations of the epilogue. Each perturbs P by about
// 2^-21 relative, which changes an e4m3(448 p) (step 2^-3 relative) or an
// rint(127 p) only when p lies within 2^-21 of a rounding boundary: a
// fraction ~2^-18 of the P values, each moving one quantization step. So the
// kernel's distance to the emulation is a small fraction of e: we allow a
// quarter of it (a kernel that quantizes differently, e.g. a wrong group or a
// missing scale, lands near or above e and fails), but never less than the
// rounding of the output type (the emulation rounds too; a flip of the last
// bit of an output is an ulp) plus float noise.
//
// Against the exact output the triangle inequality gives e + e/4: relative L1
// and RMSE get a factor 1.25 plus the floor. For cosine, 1 - cos ~ e^2 / 2 for
// small errors, so a relative L2 distance of (1 + 1/4) e gives
// 1 - cos <= 1.5625 (1 - cos_emu); against the emulation, (e/4)^2 / 2 =
// (1 - cos_emu) / 16, each plus the floor's own 1 - cos = floor^2 / 2.
//
// LSE: a 2^-21 relative change of l moves log(l) by ~2^-21, and scores differ
// by the accumulation order of fp8 QK (2^-22 of sum |q k|): bounded by a
// quarter of the emulation's max LSE error, floored at 1e-4 + 1e-6 |LSE|.
//
//===----------------------------------------------------------------------===//
#include "attngen/reference/Tolerance.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace attngen::ref {

namespace {
// Accumulation noise of float sums (2^-22 for FP8 tensor-core accumulators)
// and ex2.approx, relative, with room for a few hundred terms.
constexpr double kFloatNoise = 1e-5;
} // namespace

double unitRoundoff(DType t) {
  switch (t) {
  case DType::BF16:
    return 0x1.0p-8;
  case DType::F16:
    return 0x1.0p-11;
  default:
    return 0x1.0p-24;
  }
}

std::string Bounds::check(const ErrorMetrics &m) const {
  std::string why;
  if (m.nonFinite > maxNonFinite)
    why += fmt::format(" nonfinite {} > {};", m.nonFinite, maxNonFinite);
  if (!(m.cosine >= minCosine))
    why += fmt::format(" cosine {:.7f} < {:.7f};", m.cosine, minCosine);
  if (!(m.relL1 <= maxRelL1))
    why += fmt::format(" relL1 {:.3e} > {:.3e};", m.relL1, maxRelL1);
  const double relRmse = m.refRms > 0 ? m.rmse / m.refRms : m.rmse;
  if (!(relRmse <= maxRelRmse))
    why += fmt::format(" relRmse {:.3e} > {:.3e};", relRmse, maxRelRmse);
  return why;
}

std::string Bounds::str() const {
  return fmt::format("cos>={:.7f} relL1<={:.3e} relRmse<={:.3e} nonfinite<={}", minCosine,
                     maxRelL1, maxRelRmse, maxNonFinite);
}

KernelBounds deriveBounds(const ErrorMetrics &emu, const ErrorMetrics &emuLse, DType output) {
  const double floor = unitRoundoff(output) + kFloatNoise;
  const double emuRelRmse = emu.refRms > 0 ? emu.rmse / emu.refRms : emu.rmse;
  const double emuOneMinusCos = std::max(0.0, 1 - emu.cosine);
  const double floorOneMinusCos = floor * floor / 2;

  KernelBounds k;
  k.vsEmulation.maxRelL1 = std::max(0.25 * emu.relL1, floor);
  k.vsEmulation.maxRelRmse = std::max(0.25 * emuRelRmse, floor);
  k.vsEmulation.minCosine = 1 - (emuOneMinusCos / 16 + floorOneMinusCos);
  k.vsExact.maxRelL1 = 1.25 * emu.relL1 + floor;
  k.vsExact.maxRelRmse = 1.25 * emuRelRmse + floor;
  k.vsExact.minCosine = 1 - (1.5625 * emuOneMinusCos + floorOneMinusCos);
  k.maxLseAbs = std::max(0.25 * emuLse.maxAbs, 1e-4 + 1e-6 * emuLse.refRms);
  return k;
}

} // namespace attngen::ref
