//===- softmax.cuh - Online softmax pieces over mma accumulator fragments --===//
//
// The S fragment of one thread (m16n8 layout, wgmma or mma.sync) holds two
// rows (lane/4 and lane/4 + 8) of which the four lanes of a quad share the
// columns; row reductions are a thread-local pass plus two xor shuffles.
// Everything is in the exp2 domain (s*log2(e) is folded into the Q scales).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_KERNEL_SOFTMAX_CUH
#define ATTNGEN_KERNEL_SOFTMAX_CUH

namespace attngen {

// A bit cast: NVRTC knows no __builtin_huge_valf.
constexpr float kNegInfF = __builtin_bit_cast(float, 0xff800000u);
constexpr float kFltMin = 1.17549435e-38f;

__device__ __forceinline__ float exp2Approx(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

__device__ __forceinline__ float quadMax(float v) {
  v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
  return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}
__device__ __forceinline__ float quadSum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

/// Max over the columns of fragment row `half` (0: lane/4, 1: lane/4 + 8) of
/// an m16nN fragment of N/2 values, reduced over the quad.
template <int kRegs>
__device__ __forceinline__ float fragRowMax(const float (&s)[kRegs], int half) {
  float m = kNegInfF;
#pragma unroll
  for (int j = 0; j < kRegs / 4; ++j)
    m = fmaxf(m, fmaxf(s[4 * j + 2 * half], s[4 * j + 2 * half + 1]));
  return quadMax(m);
}

/// The running max used as the exponent offset: a row that has seen only
/// masked keys (max -inf) uses 0, so exp2(-inf - 0) = 0 instead of NaN.
__device__ __forceinline__ float safeMax(float m) { return m == kNegInfF ? 0.f : m; }

} // namespace attngen

#endif // ATTNGEN_KERNEL_SOFTMAX_CUH
