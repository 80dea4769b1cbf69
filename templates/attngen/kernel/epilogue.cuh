//===- epilogue.cuh - O = o / l * v_scale (+ v_mean), LSE, strided stores --===//
//
// Shared by the mainloops whose O accumulator is an m16nD fragment (two rows
// per thread, channels 8j + 2(lane%4) + {0, 1}). `inv` is the per-row factor
// 1 / l (times 1 / 448 for FP8 P when not folded into l); a row without any
// visible key (l == 0) is written as zeros and its LSE as -inf.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_KERNEL_EPILOGUE_CUH
#define ATTNGEN_KERNEL_EPILOGUE_CUH

#include "attngen/arch/ptx_common.cuh"
#include "attngen/kernel/config.h"
#include "attngen/kernel/params.h"
#include "attngen/kernel/softmax.cuh"
#include "attngen/mask/score_mod.h"
#include "attngen/quant/quant_math.h"

namespace attngen {

/// The V channel scales and means of a thread's O fragment columns
/// (8 j + 2 (lane % 4) + {0, 1}: entries 2 j and 2 j + 1).
template <class Cfg> struct OutChannels {
  static constexpr int D = Cfg::kHeadDim;
  float vs[D / 4], vm[D / 4];

  // Every load before the first store: the compiler may not move a load past
  // a store to p.o (they could alias), and interleaved, each channel pair's
  // scale cost a full memory latency (ncu, int8/fp8 D = 128: the epilogue was
  // a third of the kernel's time at N = 1k). The parameters are read into
  // registers once for the same reason.
  __device__ __forceinline__ OutChannels(const AttnParams &p, int b, int h, int lane) {
    constexpr bool kV8 = dtIs8Bit(Cfg::kPV);
    const agi64 vHead = ((agi64)b * p.heads_kv + h / Cfg::kGqa) * D;
#pragma unroll
    for (int j = 0; j < D / 8; ++j) {
      const int c = 8 * j + 2 * (lane % 4);
      vs[2 * j] = kV8 ? __ldg(p.v_scale + vHead + c) : 1.f;
      vs[2 * j + 1] = kV8 ? __ldg(p.v_scale + vHead + c + 1) : 1.f;
      vm[2 * j] = Cfg::kSmoothV ? __ldg(p.v_mean + vHead + c) : 0.f;
      vm[2 * j + 1] = Cfg::kSmoothV ? __ldg(p.v_mean + vHead + c + 1) : 0.f;
    }
  }
};

/// Writes the two fragment rows `row[0..1]` (query indices in the head) of
/// one thread; rows >= Nq are skipped. `l` is the row sum in the units of o.
template <class Cfg, int kRegs>
__device__ __forceinline__ void storeOutputFragment(const AttnParams &p, const float (&o)[kRegs],
                                                    const float (&l)[2], const int (&row)[2],
                                                    int b, int h, int lane) {
  constexpr int D = Cfg::kHeadDim;
  static_assert(kRegs == D / 2, "O fragment of m64nD expected");
  const OutChannels<Cfg> ch(p, b, h, lane);
  const int seqQ = p.seq_q;
  const agi64 headOff = (agi64)b * p.o_stride[0] + (agi64)h * p.o_stride[1];
  const agi64 rowStride = p.o_stride[2];
  void *const out = p.o;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    if (row[r] >= seqQ)
      continue;
    const bool any = l[r] > 0.f;
    const float inv = any ? 1.f / l[r] : 0.f;
    // c is even, so the row's offset decides whether a pair is 4-byte aligned.
    const agi64 rowOff = headOff + (agi64)row[r] * rowStride + 2 * (lane % 4);
#pragma unroll
    for (int j = 0; j < D / 8; ++j) {
      const float x0 = any ? o[4 * j + 2 * r] * inv * ch.vs[2 * j] + ch.vm[2 * j] : 0.f;
      const float x1 =
          any ? o[4 * j + 2 * r + 1] * inv * ch.vs[2 * j + 1] + ch.vm[2 * j + 1] : 0.f;
      const agi64 off = rowOff + 8 * j;
      if constexpr (Cfg::kOut == dt::F32) {
        float *dst = static_cast<float *>(out) + off;
        dst[0] = x0;
        dst[1] = x1;
      } else {
        unsigned short *dst = static_cast<unsigned short *>(out) + off;
        const unsigned packed = packHalf2<Cfg::kOut>(x0, x1);
        if ((rowOff & 1) == 0) {
          *reinterpret_cast<unsigned *>(dst) = packed;
        } else {
          dst[0] = (unsigned short)(packed & 0xffffu);
          dst[1] = (unsigned short)(packed >> 16);
        }
      }
    }
  }
}

/// Bytes of one row of a warpgroup's O stage (storeOutputStaged): D 16-bit
/// values plus 16 bytes, so the 8 rows one fragment store touches fall in
/// different banks.
template <int D> constexpr int kOStagePitch = 2 * D + 16;

/// storeOutputFragment's values for 16-bit O, written through shared memory:
/// the warpgroup (128 threads, `tid`) stages its 64 rows from `row0` in
/// `stage` (64 * kOStagePitch<D> bytes), meets at named barrier `bar`, and
/// stores whole rows as 16-byte chunks, instead of 4-byte stores that each
/// fill half of 8 sectors 256 bytes apart (bench/NOTES.md E-5). The caller
/// checks that O's base and strides allow 16-byte stores (canVectorize).
template <class Cfg, int kRegs>
__device__ __forceinline__ void storeOutputStaged(const AttnParams &p, const float (&o)[kRegs],
                                                  const float (&l)[2], const int (&row)[2],
                                                  int b, int h, int lane, unsigned char *stage,
                                                  int row0, int tid, int bar) {
  constexpr int D = Cfg::kHeadDim, kPitch = kOStagePitch<D>;
  static_assert(kRegs == D / 2, "O fragment of m64nD expected");
  static_assert(Cfg::kOut != dt::F32, "16-bit O only");
  const OutChannels<Cfg> ch(p, b, h, lane);
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const bool any = l[r] > 0.f;
    const float inv = any ? 1.f / l[r] : 0.f;
    unsigned char *dst = stage + (row[r] - row0) * kPitch + 4 * (lane % 4);
#pragma unroll
    for (int j = 0; j < D / 8; ++j) {
      const float x0 = any ? o[4 * j + 2 * r] * inv * ch.vs[2 * j] + ch.vm[2 * j] : 0.f;
      const float x1 =
          any ? o[4 * j + 2 * r + 1] * inv * ch.vs[2 * j + 1] + ch.vm[2 * j + 1] : 0.f;
      *reinterpret_cast<unsigned *>(dst + 16 * j) = packHalf2<Cfg::kOut>(x0, x1);
    }
  }
  asm volatile("bar.sync %0, 128;" ::"r"(bar) : "memory");
  constexpr int kChunks = 2 * D / 16; // 16-byte chunks per row
  const agi64 headOff = (agi64)b * p.o_stride[0] + (agi64)h * p.o_stride[1];
  unsigned short *const out = static_cast<unsigned short *>(p.o);
#pragma unroll
  for (int k = 0; k < 64 * kChunks / 128; ++k) {
    const int idx = tid + 128 * k, r = idx / kChunks, c = idx % kChunks;
    if (row0 + r < p.seq_q)
      *reinterpret_cast<uint4 *>(out + headOff + (agi64)(row0 + r) * p.o_stride[2] + 8 * c) =
          *reinterpret_cast<const uint4 *>(stage + r * kPitch + 16 * c);
  }
}

/// LSE_i = (m + log2 l) * ln 2 + q_kmean_i (natural log of the row's sum of
/// exp of the scaled scores); -inf for a row without visible keys. `lScale`
/// is the factor by which the kernel's l exceeds sum_j p_j (448 for FP8 P
/// folded into l, else 1).
template <class Cfg>
__device__ __forceinline__ void storeLse(const AttnParams &p, float m, float l, float lScale,
                                         int row, int b, int h) {
  if (row >= p.seq_q)
    return;
  const agi64 head = (agi64)b * p.heads_q + h;
  float lse = kNegInfF;
  // The capped scores already hold q . mean(K): no correction then.
  if (l > 0.f) {
    lse = (m + __log2f(l / lScale)) * kLn2 +
          (ScoreMods<Cfg>::kHasSoftcap ? 0.f : p.q_kmean[head * p.seq_q_pad + row]);
    // Causal ALiBi as a column term left out each row's constant (score_mod.h).
    if constexpr (ScoreMods<Cfg>::kAlibiColumns)
      lse += alibiRowTerm(p.alibi_slopes[h] * kLog2e, row, Cfg::kBlockM);
  }
  p.lse[head * p.seq_q + row] = lse;
}

} // namespace attngen

#endif // ATTNGEN_KERNEL_EPILOGUE_CUH
