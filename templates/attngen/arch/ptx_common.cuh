//===- ptx_common.cuh - Arch-neutral PTX helpers, one function per instruction -===//
//
// Conversions (fp16 / bf16 / e4m3), vector loads and stores, and the sm_90
// asynchronous-copy primitives (mbarrier, cp.async.bulk, proxy fences). Each
// wrapper is one instruction. Those that need a newer arch than the one being
// compiled fail at compile time through a static_assert on `kArch`, never
// silently (the host pass of nvcc sees kArch = 0 and skips the checks).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_ARCH_PTX_COMMON_CUH
#define ATTNGEN_ARCH_PTX_COMMON_CUH

#include "attngen/kernel/config.h"

namespace attngen {

#if defined(__CUDA_ARCH__)
constexpr int kArch = __CUDA_ARCH__;
#else
constexpr int kArch = 0;
#endif
/// True when compiling device code for at least `sm` (or in a host pass).
__host__ __device__ constexpr bool archAtLeast(int sm) { return kArch == 0 || kArch >= sm; }

struct alignas(16) U32x4 {
  unsigned x, y, z, w;
};
struct alignas(8) U32x2 {
  unsigned x, y;
};

//===-- Conversions --------------------------------------------------------===//

__device__ __forceinline__ float halfToFloatDev(unsigned short h) {
  float f;
  asm("{ .reg .b16 t; mov.b16 t, %1; cvt.f32.f16 %0, t; }" : "=f"(f) : "h"(h));
  return f;
}
__device__ __forceinline__ float bf16ToFloatDev(unsigned short h) {
  return __uint_as_float((unsigned)h << 16);
}
/// An fp16 / bf16 element (per dt code) as float.
template <int kType> __device__ __forceinline__ float toFloat(unsigned short h) {
  return kType == dt::BF16 ? bf16ToFloatDev(h) : halfToFloatDev(h);
}

/// Two floats to packed fp16 / bf16 (lo in bits 0..15), round to nearest even.
template <int kType> __device__ __forceinline__ unsigned packHalf2(float lo, float hi) {
  static_assert(kType == dt::F16 || kType == dt::BF16, "16-bit type expected");
  unsigned r;
  if constexpr (kType == dt::BF16) {
    static_assert(kType != dt::BF16 || archAtLeast(800), "cvt to bf16x2 needs sm_80");
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  } else {
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  }
  return r;
}

/// Four floats to four e4m3 bytes (x0 in bits 0..7), RN, saturating.
template <bool kOk = archAtLeast(890)>
__device__ __forceinline__ unsigned packE4m3x4(float x0, float x1, float x2, float x3) {
  static_assert(kOk, "e4m3 conversion needs sm_89");
  unsigned r = 0;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  asm("{ .reg .b16 lo, hi;\n"
      "cvt.rn.satfinite.e4m3x2.f32 lo, %2, %1;\n"
      "cvt.rn.satfinite.e4m3x2.f32 hi, %4, %3;\n"
      "mov.b32 %0, {lo, hi}; }"
      : "=r"(r)
      : "f"(x0), "f"(x1), "f"(x2), "f"(x3));
#endif
  return r;
}

/// float(x) for |x| < 2^22 on the FMA pipe instead of the slow I2F: the int
/// added to the bits of 1.5 * 2^23 is exactly that float plus x.
__device__ __forceinline__ float smallIntToFloat(int x) {
  return __int_as_float(x + 0x4B400000) - 12582912.f;
}

//===-- Global memory ------------------------------------------------------===//

__device__ __forceinline__ U32x4 ldGlobalNc16(const void *p) {
  U32x4 v;
  // Not volatile: independent loads may be batched by the compiler.
  asm("ld.global.nc.v4.u32 {%0,%1,%2,%3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

//===-- sm_90 asynchronous copies and barriers -----------------------------===//

__device__ __forceinline__ unsigned smemAddr(const void *p) {
  return (unsigned)__cvta_generic_to_shared(p);
}

struct Mbarrier {
  template <bool kOk = archAtLeast(800)>
  __device__ static void init(unsigned long long *bar, unsigned count) {
    static_assert(kOk, "mbarrier needs sm_80");
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(smemAddr(bar)), "r"(count));
  }
  /// Arrive and add `bytes` to the transaction count of the current phase.
  template <bool kOk = archAtLeast(900)>
  __device__ static void arriveExpectTx(unsigned long long *bar, unsigned bytes) {
    static_assert(kOk, "mbarrier expect_tx needs sm_90");
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smemAddr(bar)),
                 "r"(bytes)
                 : "memory");
  }
  template <bool kOk = archAtLeast(800)>
  __device__ static void arrive(unsigned long long *bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(smemAddr(bar)) : "memory");
  }
  /// Spin until the phase with parity `phase` has completed.
  template <bool kOk = archAtLeast(900)>
  __device__ static void wait(unsigned long long *bar, unsigned phase) {
    static_assert(kOk, "mbarrier.try_wait needs sm_90");
    asm volatile("{\n"
                 ".reg .pred done;\n"
                 "WAIT_%=:\n"
                 "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
                 "@!done bra WAIT_%=;\n"
                 "}" ::"r"(smemAddr(bar)),
                 "r"(phase)
                 : "memory");
  }
};

/// One bulk copy global -> shared completing on an mbarrier (sm_90).
struct BulkCopyG2S {
  template <bool kOk = archAtLeast(900)>
  __device__ static void run(void *dst, const void *src, unsigned bytes,
                             unsigned long long *bar) {
    static_assert(kOk, "cp.async.bulk needs sm_90");
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes "
                 "[%0], [%1], %2, [%3];" ::"r"(smemAddr(dst)),
                 "l"(src), "r"(bytes), "r"(smemAddr(bar))
                 : "memory");
  }
};

/// Make mbarrier.init visible to the async proxy (sm_90).
template <bool kOk = archAtLeast(900)> __device__ __forceinline__ void fenceBarrierInit() {
  static_assert(kOk, "fence.mbarrier_init needs sm_90");
  asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
}

/// Order generic-proxy shared-memory writes before async-proxy reads (sm_90).
template <bool kOk = archAtLeast(900)> __device__ __forceinline__ void fenceProxyAsyncShared() {
  static_assert(kOk, "fence.proxy.async needs sm_90");
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
}

} // namespace attngen

#endif // ATTNGEN_ARCH_PTX_COMMON_CUH
