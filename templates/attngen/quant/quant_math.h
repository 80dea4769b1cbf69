//===- quant_math.h - Quantization arithmetic shared by kernels and emulation -===//
//
// Every number the prologue kernels produce is computed by the functions here,
// and the CPU emulation (runtime/reference) calls the same functions, so the
// quantized operands and scales are bit-identical on host and device. The
// device side uses the explicitly rounded intrinsics (__fmul_rn, __fdiv_rn,
// ...) so the compiler can never contract or reassociate them; the host side
// uses plain IEEE float arithmetic (C++17, no -ffast-math, SSE on x86-64).
//
// Reduction orders the emulation must follow (fixed so the results are exact):
//  - KVStats channel sum of a chunk: over the chunk's statistics tokens (all
//    tokens for V; for K (and Q's amax) the sample t % stride == 0, statsStrideK),
//    the i-th of them in increasing token order goes to residue i % 32; residue
//    l sums its tokens in order starting from 0.f, then the 32 sums are
//    combined by treeSum32 (s[i] += s[i + w] for w = 16, 8, 4, 2, 1).
//  - QuantKV mean: sum of the chunk sums in chunk order starting from 0.f, then
//    divided by the number of statistics tokens, statsCount(Nk, stride) (quantDiv).
//  - QuantQ q . mean(K): kmeanDot (per 8-channel slice a fused multiply-add
//    chain, then a tree over slices), times sm_scale.
// Max / min reductions are order-free.
//
// Only builtin types: NVRTC compiles this without any standard header.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_QUANT_QUANT_MATH_H
#define ATTNGEN_QUANT_QUANT_MATH_H

#include "attngen/kernel/config.h"

namespace attngen {

/// Largest magnitude of each quantized type.
constexpr float kInt8Max = 127.f;
constexpr float kInt4Max = 7.f;
constexpr float kFp8Max = 448.f; ///< e4m3fn largest finite value
/// log2(448): folds the FP8 P scale into the exponent (p * 448 = exp2(x + this)).
constexpr float kLog2Fp8Max = 8.807354922057604f;
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

/// Quantized magnitude limit of a dt code (0 for 16/32-bit types).
AG_HOST_DEVICE constexpr float quantMax(int t) {
  return t == dt::I8 ? kInt8Max : t == dt::I4 ? kInt4Max : t == dt::E4M3 ? kFp8Max : 0.f;
}

//===-- Exactly rounded float operations ----------------------------------===//

AG_HOST_DEVICE inline float quantMul(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
AG_HOST_DEVICE inline float quantAdd(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
AG_HOST_DEVICE inline float quantSub(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
AG_HOST_DEVICE inline float quantDiv(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
AG_HOST_DEVICE inline float quantFma(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(a, b, c);
#else
  return __builtin_fmaf(a, b, c);
#endif
}
AG_HOST_DEVICE inline float quantMax2(float a, float b) { return a > b ? a : b; }
AG_HOST_DEVICE inline float quantMin2(float a, float b) { return a < b ? a : b; }
AG_HOST_DEVICE inline float quantAbs(float a) { return a < 0.f ? -a : a; }

AG_HOST_DEVICE inline unsigned floatBits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  return __builtin_bit_cast(unsigned, f);
#endif
}
AG_HOST_DEVICE inline float bitsFloat(unsigned u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  return __builtin_bit_cast(float, u);
#endif
}

/// Round to nearest, ties to even, for |x| <= 2^22 (adding 1.5 * 2^23 moves
/// the fraction bits out of the significand; both adds are exactly rounded).
AG_HOST_DEVICE inline float roundEven(float x) {
  return quantSub(quantAdd(x, 12582912.f), 12582912.f);
}

//===-- Statistics sample --------------------------------------------------===//

/// K smoothing and Q/K balancing are exact for any channel mean and any factor
/// (softmax drops q . mean, the LSE adds it back; a_c is a power of two), so
/// KVStats estimates K's channel mean and extrema (and Q's channel amax) from
/// the tokens t with t % kStatsSampleStride == 0 instead of reading all of K.
constexpr int kStatsSampleStride = 8;
/// Token stride of Q's channel amax (balance): the same sample as K's. The
/// factor balances amax K' against amax Q, and a sampled max is biased low:
/// with Q from every token and K from the sample, the emulation's int4 QK
/// families lost 0.3-0.8% cosine (ReferenceTest); with both sampled they did
/// not (bench/NOTES.md, round 4).
constexpr int kStatsStrideQ = kStatsSampleStride;

/// Token stride of K's statistics: every token when a per-tensor K scale is
/// taken from the extrema (a sampled amax could clip), else the sample.
AG_HOST_DEVICE constexpr int statsStrideK(bool kTensorScale) {
  return kTensorScale ? 1 : kStatsSampleStride;
}

/// Statistics tokens among [0, n) for a stride: 0, stride, 2 * stride, ...
AG_HOST_DEVICE constexpr int statsCount(int n, int stride) {
  return n > 0 ? (n + stride - 1) / stride : 0;
}

/// The first statistics token at or after t0.
AG_HOST_DEVICE constexpr int statsFirst(int t0, int stride) {
  return (t0 + stride - 1) / stride * stride;
}

//===-- Symmetric scales ---------------------------------------------------===//

/// Dequantization scale of a group with largest magnitude `amax`.
AG_HOST_DEVICE inline float quantScale(float amax, float qmax) { return quantDiv(amax, qmax); }

/// Quantization multiplier qmax / amax; 0 for an all-zero group, so that the
/// group quantizes to zeros and nothing divides by zero.
AG_HOST_DEVICE inline float quantInvScale(float amax, float qmax) {
  return amax > 0.f ? quantDiv(qmax, amax) : 0.f;
}

/// Symmetric integer quantization: rint(x * inv) clamped to [-qmax, qmax]
/// (clamping before rounding is the same since qmax is an integer).
AG_HOST_DEVICE inline int quantizeInt(float x, float inv, float qmax) {
  const float y = quantMin2(quantMax2(quantMul(x, inv), -qmax), qmax);
  return (int)roundEven(y);
}

/// Largest magnitude of x - mean over a channel with extrema [mn, mx]: the
/// subtraction is monotone, so this is exactly the max of |x - mean|.
AG_HOST_DEVICE inline float smoothedAmax(float mx, float mn, float mean) {
  return quantMax2(quantAbs(quantSub(mx, mean)), quantAbs(quantSub(mn, mean)));
}

//===-- Q/K channel balancing ----------------------------------------------===//

/// Largest |log2| of a balance factor: keeps Q * a and K' / a far from float
/// overflow and from the subnormal range for any realistic 16-bit input.
constexpr int kBalanceMaxLog2 = 20;

/// Factor a = 2^n of one channel, multiplying Q and dividing K' (exact, so
/// Q K^T is unchanged), with n = round(log2(kAmax / qAmax) / 2), ties up: the
/// two amaxes meet at their geometric mean. From the exponent E of the
/// rounded ratio alone: log2(ratio) / 2 lies in [E/2, (E+1)/2), whose nearest
/// integer (ties up) is ceil(E/2). 1 when either amax is 0 or not a number.
AG_HOST_DEVICE inline float balanceFactor(float kAmax, float qAmax) {
  if (!(kAmax > 0.f) || !(qAmax > 0.f))
    return 1.f;
  const int e = (int)((floatBits(quantDiv(kAmax, qAmax)) >> 23) & 0xffu) - 127;
  int n = e >= -1 ? (e + 1) / 2 : -((-e) / 2); // ceil(e / 2) without shifts of negatives
  n = n > kBalanceMaxLog2 ? kBalanceMaxLog2 : n < -kBalanceMaxLog2 ? -kBalanceMaxLog2 : n;
  return bitsFloat((unsigned)(n + 127) << 23);
}

//===-- FP8 e4m3fn ---------------------------------------------------------===//

/// Software e4m3fn encoder, bit-identical to `cvt.rn.satfinite.e4m3x2.f32`:
/// round to nearest even (subnormals included), finite overflow and infinities
/// saturate to +-448 (0x7e), NaN gives 0x7f with the sign.
AG_HOST_DEVICE inline unsigned char encodeE4m3Soft(float x) {
  const unsigned u = floatBits(x);
  const unsigned sign = (u >> 24) & 0x80u;
  const unsigned mag = u & 0x7fffffffu;
  if (mag > 0x7f800000u)
    return (unsigned char)(sign | 0x7fu);
  if (mag >= 0x43e00000u) // >= 448 (and +inf): satfinite
    return (unsigned char)(sign | 0x7eu);
  if (mag < 0x3c800000u) { // < 2^-6: the subnormal grid of step 2^-9
    const int exp = (int)(mag >> 23);
    if (exp == 0)
      return (unsigned char)sign; // float subnormals are far below 2^-10
    const unsigned m = (mag & 0x7fffffu) | 0x800000u; // value = m * 2^(exp-150)
    const int shift = 141 - exp;                      // value * 2^9 = m >> shift
    if (shift >= 25)
      return (unsigned char)sign;
    unsigned q = m >> shift;
    const unsigned rem = m & ((1u << shift) - 1u);
    const unsigned half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u)))
      ++q; // q == 8 is the smallest normal, which the code layout gives too
    return (unsigned char)(sign | q);
  }
  // Normal: keep 3 of 23 mantissa bits with round-to-nearest-even, rebias.
  const unsigned rounded = mag + 0x7ffffu + ((mag >> 20) & 1u);
  const unsigned code = (rounded >> 20) - (120u << 3);
  return (unsigned char)(sign | (code > 0x7eu ? 0x7eu : code));
}

/// e4m3fn decoder (exact).
AG_HOST_DEVICE inline float decodeE4m3(unsigned char c) {
  const unsigned sign = (unsigned)(c & 0x80u) << 24;
  const unsigned e = (c >> 3) & 0xfu, m = c & 7u;
  if (e == 15u && m == 7u)
    return bitsFloat(sign | 0x7fc00000u);
  if (e == 0u)
    return bitsFloat(sign | floatBits(quantMul((float)m, 0.001953125f)));
  return bitsFloat(sign | ((e + 120u) << 23) | (m << 20));
}

/// e4m3fn encoder: the hardware conversion on sm_89+, the software one
/// elsewhere (the two agree bit for bit; tests/unit/QuantMathTest.cpp and the
/// dev harness check it).
AG_HOST_DEVICE inline unsigned char encodeE4m3(float x) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  unsigned short r;
  asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(r) : "f"(0.f), "f"(x));
  return (unsigned char)(r & 0xffu);
#else
  return encodeE4m3Soft(x);
#endif
}

/// FP8 quantization of one element: e4m3(x * inv).
AG_HOST_DEVICE inline unsigned char quantizeE4m3(float x, float inv) {
  return encodeE4m3(quantMul(x, inv));
}

//===-- 16-bit floats (host side; the device uses cvt instructions) --------===//

AG_HOST_DEVICE inline float bf16ToFloat(unsigned short h) { return bitsFloat((unsigned)h << 16); }

/// Round to nearest even; NaN stays a (quiet) NaN.
AG_HOST_DEVICE inline unsigned short floatToBf16(float f) {
  const unsigned u = floatBits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return (unsigned short)((u >> 16) | 0x40u);
  return (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

AG_HOST_DEVICE inline float f16ToFloat(unsigned short h) {
  const unsigned sign = (unsigned)(h & 0x8000u) << 16;
  const unsigned e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0u) // zero or subnormal: m * 2^-24 is exact in float
    return bitsFloat(sign | floatBits(quantMul((float)m, 5.9604644775390625e-8f)));
  if (e == 31u)
    return bitsFloat(sign | 0x7f800000u | (m << 13));
  return bitsFloat(sign | ((e + 112u) << 23) | (m << 13));
}

/// Round to nearest even, overflow to infinity, subnormals included.
AG_HOST_DEVICE inline unsigned short floatToF16(float f) {
  const unsigned u = floatBits(f);
  const unsigned sign = (u >> 16) & 0x8000u;
  const unsigned mag = u & 0x7fffffffu;
  if (mag > 0x7f800000u)
    return (unsigned short)(sign | 0x7e00u);
  if (mag >= 0x477ff000u) // >= 65520 rounds past the largest finite half
    return (unsigned short)(sign | 0x7c00u);
  if (mag < 0x38800000u) { // < 2^-14: subnormal grid of step 2^-24
    const int exp = (int)(mag >> 23);
    const int shift = 126 - exp; // value * 2^24 = m >> shift
    if (exp == 0 || shift >= 25)
      return (unsigned short)sign;
    const unsigned m = (mag & 0x7fffffu) | 0x800000u;
    unsigned q = m >> shift;
    const unsigned rem = m & ((1u << shift) - 1u);
    const unsigned half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u)))
      ++q;
    return (unsigned short)(sign | q);
  }
  const unsigned rounded = mag + 0xfffu + ((mag >> 13) & 1u);
  return (unsigned short)(sign | ((rounded >> 13) - (112u << 10)));
}

/// An input element (fp16 / bf16 bits, per a dt code) as float.
AG_HOST_DEVICE inline float halfBitsToFloat(unsigned short h, int inType) {
  return inType == dt::BF16 ? bf16ToFloat(h) : f16ToFloat(h);
}
AG_HOST_DEVICE inline unsigned short floatToHalfBits(float f, int type) {
  return type == dt::BF16 ? floatToBf16(f) : floatToF16(f);
}

//===-- Group indices ------------------------------------------------------===//

/// Quantization group of query row `row` (within its (batch, head) slice).
/// Tensor is not offered for Q; it maps to one group.
AG_HOST_DEVICE constexpr int qGroupOf(int g, int row, int blockM) {
  return g == gran::Block   ? row / blockM
         : g == gran::Warp  ? row / 16
         : g == gran::Thread ? (row / 16) * 8 + row % 8 // rows {i, i+8} of 16
         : g == gran::Token ? row
                            : 0;
}

/// Quantization group of key token `tok` (within its (batch, head) slice).
AG_HOST_DEVICE constexpr int kGroupOf(int g, int tok, int blockN) {
  return g == gran::Block   ? tok / blockN
         : g == gran::Warp  ? tok / 16
         : g == gran::Thread ? (tok / blockN) * 4 + (tok % 8) / 2 // mma column pairs
         : g == gran::Token ? tok
                            : 0;
}

/// Inverse of perm32 (quant/permute.h): the A-column at which token t (0..31)
/// of a 32-group is stored in 8-bit V^T.
AG_HOST_DEVICE constexpr int invPerm32(int t) {
  return 16 * (t / 16) + 4 * ((t % 8) / 2) + 2 * ((t % 16) / 8) + (t % 2);
}

//===-- Fixed-order reductions (host reference of the kernels' order) ------===//

/// In-place tree over 32 values: s[i] += s[i + w] for w = 16..1; returns s[0].
/// The kernels do this with xor shuffles, which give lane 0 the same sums.
AG_HOST_DEVICE inline float treeSum32(float *s) {
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int w = 16; w >= 1; w /= 2) {
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
    for (int i = 0; i < w; ++i)
      s[i] = quantAdd(s[i], s[i + w]);
  }
  return s[0];
}

/// q . mean as QuantQ computes it: slice j (channels 8j..8j+7) is a fused
/// multiply-add chain from 0.f in channel order; the D/8 slice sums are then
/// combined by the tree s[i] += s[i + w], w = D/16, ..., 1. `slices` is
/// scratch of D/8 floats.
AG_HOST_DEVICE inline float kmeanDot(const float *q, const float *mean, int headDim,
                                     float *slices) {
  const int n = headDim / 8;
  for (int j = 0; j < n; ++j) {
    float acc = 0.f;
    for (int c = 8 * j; c < 8 * j + 8; ++c)
      acc = quantFma(q[c], mean[c], acc);
    slices[j] = acc;
  }
  for (int w = n / 2; w >= 1; w /= 2)
    for (int i = 0; i < w; ++i)
      slices[i] = quantAdd(slices[i], slices[i + w]);
  return slices[0];
}

} // namespace attngen

#endif // ATTNGEN_QUANT_QUANT_MATH_H
