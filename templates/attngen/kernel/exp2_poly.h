//===- exp2_poly.h - exp2 on the FMA pipe, shared by kernel and emulation --===//
//
// The softmax's exponentials run on MUFU.EX2 (16 per clock per SM on sm_90).
// When that unit bounds the hot loop, part of them can be computed with
// ordinary FP32 instructions instead (tile_size.h sm90PolyExpGroups says how
// many): 2^x = 2^j * 2^f with j = rint(x) and f = x - j in [-0.5, 0.5], 2^f a
// cubic, and j added to the result's exponent field as an integer.
//
// Eight instructions (max, three adds, three FMAs, one shift-add) instead of
// one MUFU; relative error below 1.02e-4 (2^-13.2) for x >= -120, far under
// the half-ulp of the 8-bit P it feeds (2^-4 for e4m3, 2^-8 at the top of
// int8). Below -120 the result is 2^-120-ish rather than 0 (P8 rounds it to
// 0); -inf (a masked score) gives the same.
//
// The CPU emulation (runtime/reference/Emulate.cpp) calls this function, so
// the kernel's P is reproduced bit for bit up to the rounding of x itself.
//
// Only builtin types: NVRTC compiles this without any standard header.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_KERNEL_EXP2_POLY_H
#define ATTNGEN_KERNEL_EXP2_POLY_H

#include "attngen/quant/quant_math.h"

namespace attngen {

/// Minimax (relative error) cubic for 2^f on [-0.5, 0.5] with p(0) = 1,
/// rounded to float (max relative error of the float Horner form 1.014e-4).
constexpr float kExp2PolyC1 = 0.6932829022407532f;
constexpr float kExp2PolyC2 = 0.2422109991312027f;
constexpr float kExp2PolyC3 = 0.05500893294811249f;
/// Arguments are clamped here first: j + the cubic's exponent (126 or 127)
/// stays a normal float's exponent field.
constexpr float kExp2PolyLow = -120.f;

AG_HOST_DEVICE inline float exp2Poly(float x) {
#if defined(__CUDA_ARCH__)
  x = fmaxf(x, kExp2PolyLow); // one FMNMX; -inf and NaN -> the floor
#else
  x = quantMax2(x, kExp2PolyLow); // the same for a non-NaN, nonzero floor
#endif
  // t = 1.5 * 2^23 + rint(x): the integer sits in t's low mantissa bits.
  const float t = quantAdd(x, 12582912.f);
  const float f = quantSub(x, quantSub(t, 12582912.f)); // exact, |f| <= 0.5
  float p = quantFma(kExp2PolyC3, f, kExp2PolyC2);
  p = quantFma(p, f, kExp2PolyC1);
  p = quantFma(p, f, 1.f);
  // floatBits(t) << 23 is rint(x) << 23 (the magic's bits shift out).
  return bitsFloat(floatBits(p) + (floatBits(t) << 23));
}

} // namespace attngen

#endif // ATTNGEN_KERNEL_EXP2_POLY_H
