//===- mma_sm80.cuh - mma.sync, ldmatrix and cp.async, one struct each ----===//
//
// Thin wrappers over the PTX of the sm_80 / sm_89 warp-level tensor-core path
// (they also run on sm_90). Each struct is one instruction; fragment layouts
// are the PTX ISA's: for every m16n8kK shape below the A fragment of lane l
// (g = l / 4, q = l % 4) holds row g / g + 8, bytes 4q..4q+3 of each 16-byte
// half of a 32-byte k-slice, B holds column g, the same bytes, and C/D holds
// row g / g + 8, columns 2q, 2q + 1. So one 32-byte k-slice of any operand
// type is loaded by the same ldmatrix, whatever the element width.
//
// FP8 mma.sync needs sm_89: using it on an older target is a compile-time
// error (static_assert), not a silent fallback. Conversions and the shared
// address helper are in ptx_common.cuh.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_ARCH_MMA_SM80_CUH
#define ATTNGEN_ARCH_MMA_SM80_CUH

#include "attngen/arch/ptx_common.cuh"

namespace attngen {
namespace sm80 {

/// True where the e4m3 mma.sync exists (or in nvcc's host pass).
constexpr bool kHasFp8Mma = archAtLeast(890);

/// D = A * B + C, s8 x s8 -> s32, m16n8k32.
struct MmaS8 {
  __device__ static void run(int (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
};

/// D = A * B + C, s4 x s4 -> s32, m16n8k64 (two per byte, low nibble first).
struct MmaS4 {
  __device__ static void run(int (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k64.row.col.s32.s4.s4.s32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
};

/// D = A * B + C, e4m3 x e4m3 -> f32, m16n8k32 (sm_89+).
template <bool kEnabled = kHasFp8Mma> struct MmaE4M3 {
  static_assert(kEnabled, "e4m3 mma.sync needs sm_89 or newer");
  __device__ static void run(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
    asm volatile("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
  }
};

/// D = A * B + C, f16 x f16 -> f32, m16n8k16.
struct MmaF16 {
  __device__ static void run(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
};

/// D = A * B + C, bf16 x bf16 -> f32, m16n8k16.
struct MmaBF16 {
  __device__ static void run(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
};

/// Four 8x8 b16 matrices (8 rows of 16 bytes each); lane l gives the row
/// address of matrix l / 8, row l % 8.
struct LdMatrixX4 {
  __device__ static void run(unsigned (&r)[4], unsigned smemAddr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smemAddr));
  }
};

/// As LdMatrixX4, each matrix transposed (b16 elements): for a row-major
/// [k][n] 16-bit tile this yields the B fragment of m16n8k16.
struct LdMatrixX4Trans {
  __device__ static void run(unsigned (&r)[4], unsigned smemAddr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smemAddr));
  }
};

/// One 16-byte global -> shared copy, bypassing L1 (cp.async.cg).
struct CpAsync16 {
  __device__ static void run(unsigned smemAddr, const void *gmem) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smemAddr), "l"(gmem));
  }
};

/// A global -> shared copy of kBytes (4, 8 or 16) of which the first
/// `srcBytes` are read and the rest zero-filled (0: all zeros, nothing read).
template <int kBytes> struct CpAsyncZfill {
  static_assert(kBytes == 4 || kBytes == 8 || kBytes == 16, "cp.async copies 4, 8 or 16 bytes");
  __device__ static void run(unsigned smemAddr, const void *gmem, int srcBytes) {
    if constexpr (kBytes == 16)
      asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smemAddr), "l"(gmem),
                   "r"(srcBytes));
    else
      asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;\n" ::"r"(smemAddr), "l"(gmem),
                   "n"(kBytes), "r"(srcBytes));
  }
};

struct CpAsyncCommit {
  __device__ static void run() { asm volatile("cp.async.commit_group;\n" ::); }
};

/// Waits until at most N committed groups of this thread are pending.
template <int N> struct CpAsyncWait {
  __device__ static void run() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }
};

} // namespace sm80
} // namespace attngen

#endif // ATTNGEN_ARCH_MMA_SM80_CUH
