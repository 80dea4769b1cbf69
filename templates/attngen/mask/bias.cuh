//===- bias.cuh - Biases read from memory: low-rank factors, dense tables -===//
//
// The biases the caller passes as tensors, added to the scores of both
// mainloops (ALiBi, generated from slopes, is in the mainloops themselves).
// Both work on the score fragment of a thread (lane l, g = l / 4, q = l % 4:
// rows row0 and row0 + 8, keys 2q and 2q + 1 of each 8-key group), the C
// fragment of m16n8 mma.sync and of the wgmma accumulators alike; ScoreBias
// is the one entry point.
//
// bias = lowrank(R), FlashBias's factored bias: qb [B, Hq, Nq, R] and kb [B,
// Hq, Nk, R] stay in the input type (f16 / bf16) and never go through Q/K's
// 8-bit quantization: per 8 keys and 16 ranks one m16n8k16 mma.sync with f32
// accumulation, whose products of 16-bit values are exact, so the bias keeps
// the factors' own accuracy. A holds qb of the thread's two rows, B key g of
// the group: kb[key][2q, 2q + 1] and kb[key][2q + 8, 2q + 9], read straight
// from global memory (L1/L2: all warps of a CTA read the same 8 * R values per
// group; no shared memory or pipeline stage is added). Ranks past R read as
// 0; rows / keys past Nq / Nk are clamped to the last one (their scores are
// padding or masked). An even R reads rank pairs as one 32-bit word (the
// launch checks 4-byte alignment of the factors and their strides); an odd R
// reads 16-bit halves.
//
// bias = dense: a table [B, Hq, Nq, Nk] in the input type (key stride 1),
// each score's own value read as key pairs (32-bit words; the launch checks
// the alignment), keys past Nk read as 0 (they are masked). -inf entries
// mask (a boolean mask is a dense bias of 0 / -inf).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_MASK_BIAS_CUH
#define ATTNGEN_MASK_BIAS_CUH

#include "attngen/arch/mma_sm80.cuh"
#include "attngen/arch/ptx_common.cuh"
#include "attngen/kernel/config.h"
#include "attngen/kernel/params.h"
#include "attngen/mask/score_mod.h"
#include "attngen/quant/quant_math.h"
#include "attngen/quant/tile_image.h"

namespace attngen {

/// The factored bias of one thread's two score rows. Stateless: the A
/// fragments are re-read per key block (L1 hits after the first) rather than
/// held across the mainloop, where INT8 PV has no register to spare (held,
/// they spilled 44 bytes there).
template <class Cfg, int kRank = ScoreMods<Cfg>::kBiasRank> struct LowRankBias {
  static_assert(kRank > 0 && kRank <= 64, "bias rank in [1, 64]");
  static_assert(Cfg::kIn == dt::F16 || Cfg::kIn == dt::BF16, "factors are f16 / bf16");
  static constexpr int kChunks = (kRank + 15) / 16;

  /// Ranks [r, r + 1] of one factor row as a 32-bit pair (low half first).
  static __device__ __forceinline__ unsigned pair(const unsigned short *row, int r) {
    if (r >= kRank)
      return 0u;
    if constexpr (kRank % 2 == 0)
      return __ldg(reinterpret_cast<const unsigned *>(row + r));
    const unsigned lo = __ldg(row + r);
    return r + 1 < kRank ? lo | ((unsigned)__ldg(row + r + 1) << 16) : lo;
  }

  /// qb's rows row0 and row0 + 8 of (b, h), clamped to the last query row.
  static __device__ __forceinline__ void qRows(const AttnParams &p, int b, int h, int row0,
                                               const unsigned short *(&qRow)[2]) {
    const unsigned short *qb = static_cast<const unsigned short *>(p.bias_q) +
                               b * p.bias_q_stride[0] + h * p.bias_q_stride[1];
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int t = row0 + 8 * half < p.seq_q ? row0 + 8 * half : p.seq_q - 1;
      qRow[half] = qb + t * p.bias_q_stride[2];
    }
  }

  /// s[4 j + e] += log2(e) * qb . kb for the kGroups 8-key groups from key0
  /// (scores in the exp2 domain, C-fragment order); row0 is this thread's
  /// first score row (the second is row0 + 8). The scores themselves are the
  /// mma accumulators (in natural-log units meanwhile: times ln 2 before,
  /// log2(e) after), so a rank of any size holds only one chunk's A
  /// fragment and one B pair in registers at a time.
  template <int kGroups>
  static __device__ __forceinline__ void add(float *s, const AttnParams &p, int b, int h,
                                             int row0, int key0, int lane) {
    const int q = lane % 4;
    const unsigned short *kb = static_cast<const unsigned short *>(p.bias_k) +
                               b * p.bias_k_stride[0] + h * p.bias_k_stride[1];
    const unsigned short *qRow[2];
    qRows(p, b, h, row0, qRow);
#pragma unroll
    for (int i = 0; i < 4 * kGroups; ++i)
      s[i] *= kLn2;
    // Chunk by chunk (not unrolled): unrolled, ptxas hoists every chunk's
    // loads and rank 64 spilled 140-232 bytes.
#pragma unroll 1
    for (int c = 0; c < kChunks; ++c) {
      const unsigned qa[4] = {pair(qRow[0], 16 * c + 2 * q), pair(qRow[1], 16 * c + 2 * q),
                              pair(qRow[0], 16 * c + 8 + 2 * q),
                              pair(qRow[1], 16 * c + 8 + 2 * q)};
#pragma unroll
      for (int j = 0; j < kGroups; ++j) {
        const int key = key0 + 8 * j + lane / 4 < p.seq_k - 1 ? key0 + 8 * j + lane / 4
                                                               : p.seq_k - 1;
        const unsigned short *row = kb + key * p.bias_k_stride[2];
        float(&d)[4] = *reinterpret_cast<float(*)[4]>(s + 4 * j);
        const unsigned b0 = pair(row, 16 * c + 2 * q), b1 = pair(row, 16 * c + 8 + 2 * q);
        if constexpr (Cfg::kIn == dt::BF16)
          sm80::MmaBF16::run(d, qa, b0, b1);
        else
          sm80::MmaF16::run(d, qa, b0, b1);
      }
    }
#pragma unroll
    for (int i = 0; i < 4 * kGroups; ++i)
      s[i] *= kLog2e;
  }
};

/// No low-rank bias: nothing to add.
template <class Cfg> struct LowRankBias<Cfg, 0> {
  template <int kGroups>
  static __device__ __forceinline__ void add(float *, const AttnParams &, int, int, int, int,
                                             int) {}
};

/// Copies rows of 16-bit elements from global memory into shared memory by a
/// warpgroup's 128 threads, kRowBytes bytes per row, in pieces of kGran
/// elements (16 bytes for kGran = 8, the last cut and zero-filled; kGran = 1
/// is plain loads and stores): cp.async, so nothing waits in registers. Rows
/// past `validRows` and elements past `validCols` are zeros. The layout is a
/// tile image (quant/tile_image.h: wgmma operands) or, with kPitch > 0, plain
/// rows kPitch bytes apart.
template <int kRowBytes, int kGran, int kPitch = 0> struct RowStager {
  static constexpr int kVecsPerRow = kRowBytes / 16;
  static __device__ __forceinline__ void stage(unsigned image, int imageRows, int row0, int rows,
                                               const unsigned short *src, agi64 tok,
                                               int validRows, int validCols, int tid) {
    const int kVecs = rows * kVecsPerRow;
    // Not unrolled: the copies are asynchronous, and unrolled their addresses
    // took registers the wgmma accumulators need (spills).
#pragma unroll 1
    for (int v = tid; v < kVecs; v += 128) {
      const int row = v / kVecsPerRow, c8 = v % kVecsPerRow;
      const unsigned dst =
          image + (unsigned)(kPitch > 0 ? (row0 + row) * kPitch + 16 * c8
                                        : tileImageOffset(row0 + row, 16 * c8, imageRows,
                                                          kRowBytes));
      const unsigned short *from = src + (row < validRows ? row : 0) * tok + 8 * c8;
#pragma unroll
      for (int part = 0; part < 8 / kGran; ++part) {
        const int e0 = 8 * c8 + kGran * part; // first element of this piece
        int n = row < validRows ? validCols - e0 : 0;
        n = n < 0 ? 0 : n > kGran ? kGran : n;
        if constexpr (kGran > 1) {
          sm80::CpAsyncZfill<2 * kGran>::run(dst + 2 * kGran * part, from + kGran * part, 2 * n);
        } else {
          const unsigned short x = n > 0 ? __ldg(from + part) : (unsigned short)0;
          asm volatile("st.shared.u16 [%0], %1;" ::"r"(dst + 2 * part), "h"(x) : "memory");
        }
      }
    }
  }
};

/// Waits for this warpgroup's staged copies and makes them visible to all of
/// its threads and to its wgmmas (async proxy). Named barrier kBarrier +
/// warpgroup (the mainloop's numbering). A template so that only the wgmma
/// mainloop instantiates it (sm_90 fence).
template <int kBarrier> struct Staged {
  static __device__ __forceinline__ void ready(int cwg) {
    sm80::CpAsyncWait<0>::run();
    fenceProxyAsyncShared();
    asm volatile("bar.sync %0, 128;" ::"r"(kBarrier + cwg) : "memory");
  }
};

/// The low-rank factors as wgmma operands (the wgmma mainloop): each
/// consumer warpgroup stages its 64 rows of qb once and the kb tile of each
/// key block (cp.async of block n + 1 issued under block n's bias, right after
/// the barrier that frees its buffer; double-buffered) as K-major tile images
/// (quant/tile_image.h) of kPitch ranks per row, zero-padded past R, Nq and Nk;
/// the mainloop then runs the product as bf16 / f16 wgmma (mainloop_sm90.cuh).
/// Measured on the way here (H200, lowrank64, bench_bias.py): B fragments
/// gathered from global memory ran 4.5x the no-bias kernel, ldmatrix'ed from
/// shared memory into mma.sync 2.2x. Waits through Staged. Rows are
/// copied in 16-byte pieces when R % 8 == 0 (the launch then checks 16-byte
/// alignment), else 8 / 4 bytes, or 2 for an odd R (plain loads and stores).
template <class Cfg, int BN, int BM, int kRank = ScoreMods<Cfg>::kBiasRank>
struct LowRankImages {
  /// Ranks per staged row: a power of two, so rows are 32, 64 or 128 bytes.
  static constexpr int kPitch = kRank <= 16 ? 16 : kRank <= 32 ? 32 : 64;
  static constexpr int kRowBytes = 2 * kPitch;
  static constexpr int kGran = kRank % 8 == 0 ? 8 : kRank % 4 == 0 ? 4 : kRank % 2 == 0 ? 2 : 1;
  static_assert(kRank >= 1 && kRank <= 64, "bias rank in [1, 64]");

  /// Static shared memory of the images (two kb images per warpgroup).
  static constexpr int kBytes = (BM + 2 * (BM / 64) * BN) * kRowBytes;
  /// The qb image of the CTA's BM rows, then per warpgroup two kb images.
  static __device__ __forceinline__ unsigned qbImage() {
    __shared__ alignas(1024) unsigned char sImages[kBytes];
    return smemAddr(sImages);
  }
  static __device__ __forceinline__ unsigned kbImage(int cwg, int buf) {
    return qbImage() + (unsigned)((BM + (2 * cwg + buf) * BN) * kRowBytes);
  }

  /// Stages the warpgroup's 64 query rows [m0 + 64 cwg, +64) of qb.
  static __device__ __forceinline__ void stageQ(const AttnParams &p, int b, int h, int m0, int cwg,
                                                int tid) {
    const int r0 = m0 + 64 * cwg;
    const unsigned short *qb = static_cast<const unsigned short *>(p.bias_q) +
                               b * p.bias_q_stride[0] + h * p.bias_q_stride[1] +
                               (r0 < p.seq_q ? r0 : 0) * p.bias_q_stride[2];
    RowStager<kRowBytes, kGran>::stage(qbImage(), BM, 64 * cwg, 64, qb, p.bias_q_stride[2],
                                       p.seq_q - r0, kRank, tid);
  }

  /// Stages key block [key0, key0 + BN) of kb into buffer `buf` and commits
  /// the copies of this thread (with stageQ's, when it came first).
  static __device__ __forceinline__ void stageK(const AttnParams &p, int b, int h, int key0,
                                                int cwg, int buf, int tid) {
    const unsigned short *kb = static_cast<const unsigned short *>(p.bias_k) +
                               b * p.bias_k_stride[0] + h * p.bias_k_stride[1] +
                               (key0 < p.seq_k ? key0 : 0) * p.bias_k_stride[2];
    RowStager<kRowBytes, kGran>::stage(kbImage(cwg, buf), BN, 0, BN, kb, p.bias_k_stride[2],
                                       p.seq_k - key0, kRank, tid);
    sm80::CpAsyncCommit::run();
  }

};

/// The dense bias table of one thread's two score rows.
template <class Cfg> struct DenseBias {
  static_assert(Cfg::kIn == dt::F16 || Cfg::kIn == dt::BF16, "the table is f16 / bf16");

  /// s[4 j + e] += log2(e) * bias[row][key] for the kGroups 8-key groups from key0.
  template <int kGroups>
  static __device__ __forceinline__ void add(float *s, const AttnParams &p, int b, int h,
                                             int row0, int key0, int lane) {
    const unsigned short *table = static_cast<const unsigned short *>(p.bias_dense) +
                                  b * p.bias_dense_stride[0] + h * p.bias_dense_stride[1];
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int t = row0 + 8 * half < p.seq_q ? row0 + 8 * half : p.seq_q - 1;
      const unsigned short *row = table + t * p.bias_dense_stride[2];
#pragma unroll
      for (int j = 0; j < kGroups; ++j) {
        const int key = key0 + 8 * j + 2 * (lane % 4);
        unsigned w = 0u;
        if (key + 1 < p.seq_k)
          w = __ldg(reinterpret_cast<const unsigned *>(row + key));
        else if (key < p.seq_k)
          w = __ldg(row + key);
        const float lo = toFloat<Cfg::kIn>((unsigned short)(w & 0xffffu));
        const float hi = toFloat<Cfg::kIn>((unsigned short)(w >> 16));
        s[4 * j + 2 * half] = fmaf(lo, kLog2e, s[4 * j + 2 * half]);
        s[4 * j + 2 * half + 1] = fmaf(hi, kLog2e, s[4 * j + 2 * half + 1]);
      }
    }
  }
};

/// The dense table on the wgmma mainloop: each consumer warpgroup stages its
/// 64 rows x BN keys of block n + 1 (cp.async in 16-byte pieces, coalesced,
/// one block ahead, double-buffered) and each thread reads its score pairs from
/// shared memory instead of gathering them from global memory. Rows are padded
/// by 16 bytes, so the 8 rows of a fragment fall in distinct banks and every
/// read is the row's base plus a compile-time offset (a swizzled image spilled:
/// its 32 offsets per thread took registers). The launch checks 16-byte
/// aligned rows.
template <class Cfg, int BN> struct DenseImages {
  static constexpr int kRowBytes = 2 * BN, kPitch = kRowBytes + 16;
  /// Static shared memory: two buffers per consumer warpgroup.
  static constexpr int kBytes = 2 * (Cfg::kBlockM / 64) * 64 * kPitch;
  static __device__ __forceinline__ unsigned image(int cwg, int buf) {
    __shared__ alignas(128) unsigned char sTiles[kBytes];
    return smemAddr(sTiles) + (unsigned)((2 * cwg + buf) * 64 * kPitch);
  }
  /// Stages rows [r0, r0 + 64) x keys [key0, key0 + BN) into buffer `buf`.
  static __device__ __forceinline__ void stage(const AttnParams &p, int b, int h, int r0,
                                               int key0, int cwg, int buf, int tid) {
    const unsigned short *t = static_cast<const unsigned short *>(p.bias_dense) +
                              b * p.bias_dense_stride[0] + h * p.bias_dense_stride[1] +
                              (r0 < p.seq_q ? r0 : 0) * p.bias_dense_stride[2] +
                              (key0 < p.seq_k ? key0 : 0);
    RowStager<kRowBytes, 8, kPitch>::stage(image(cwg, buf), 64, 0, 64, t,
                                           p.bias_dense_stride[2], p.seq_q - r0,
                                           p.seq_k - key0, tid);
    sm80::CpAsyncCommit::run();
  }
  /// s[4 j + e] += log2(e) * bias of this thread's fragment (rows rowInWg and
  /// rowInWg + 8 of the warpgroup's 64) from buffer `buf`.
  template <int kGroups>
  static __device__ __forceinline__ void add(float *s, int rowInWg, int cwg, int buf, int lane) {
    const unsigned base = image(cwg, buf) + (unsigned)(rowInWg * kPitch + 4 * (lane % 4));
#pragma unroll
    for (int half = 0; half < 2; ++half)
#pragma unroll
      for (int j = 0; j < kGroups; ++j) {
        unsigned w;
        asm volatile("ld.shared.u32 %0, [%1];"
                     : "=r"(w)
                     : "r"(base + (unsigned)(8 * half * kPitch + 16 * j)));
        const float lo = toFloat<Cfg::kIn>((unsigned short)(w & 0xffffu));
        const float hi = toFloat<Cfg::kIn>((unsigned short)(w >> 16));
        s[4 * j + 2 * half] = fmaf(lo, kLog2e, s[4 * j + 2 * half]);
        s[4 * j + 2 * half + 1] = fmaf(hi, kLog2e, s[4 * j + 2 * half + 1]);
      }
  }
};

/// The bias a Cfg reads from memory (nothing for the others).
template <class Cfg> struct ScoreBias {
  /// Whether the scores get a bias from memory (the mainloop then forms them
  /// before the row max).
  static constexpr bool kAny = ScoreMods<Cfg>::kBiasRank > 0 || ScoreMods<Cfg>::kDenseBias;
  template <int kGroups>
  static __device__ __forceinline__ void add(float *s, const AttnParams &p, int b, int h,
                                             int row0, int key0, int lane) {
    if constexpr (ScoreMods<Cfg>::kDenseBias)
      DenseBias<Cfg>::template add<kGroups>(s, p, b, h, row0, key0, lane);
    else
      LowRankBias<Cfg>::template add<kGroups>(s, p, b, h, row0, key0, lane);
  }
};

} // namespace attngen

#endif // ATTNGEN_MASK_BIAS_CUH
