//===- prologue.cuh - KVStats, QuantKV, QuantQ: the quantization prologues ---===//
//
// Three kernels run before attention (grids in docs/ARCHITECTURE.md, 256
// threads each):
//   kv_stats<Cfg>  per chunk of kKvChunk tokens: channel sum / max / min of K, V
//                  (and with kBalance the channel max |q| over the kv head's Q heads)
//   quant_kv<Cfg>  reduces the partials to means and extrema, smooths K (and V),
//                  quantizes a blockN-token block of K and V into tile images
//   quant_q<Cfg>   quantizes a blockM-row block of Q into a tile image, with
//                  per-token scales times s*log2(e) and the LSE correction
// All arithmetic goes through quant/quant_math.h in the orders documented
// there, so the CPU emulation reproduces every byte.
//
// Rows are processed as 8-channel slices: D/8 threads share a row, each loads
// 16 bytes (or 8 scalars when the tensor's pointer / strides do not allow an
// aligned vector load).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_QUANT_PROLOGUE_CUH
#define ATTNGEN_QUANT_PROLOGUE_CUH

#include "attngen/arch/mma_sm80.cuh"
#include "attngen/arch/ptx_common.cuh"
#include "attngen/kernel/config.h"
#include "attngen/kernel/params.h"
#include "attngen/quant/grid_dependency.h"
#include "attngen/quant/permute.h"
#include "attngen/quant/quant_math.h"
#include "attngen/quant/tile_image.h"

namespace attngen {
namespace prologue {

constexpr int kThreads = 256;
// Bit casts: NVRTC knows no __builtin_huge_valf.
constexpr float kNegInf = __builtin_bit_cast(float, 0xff800000u);
constexpr float kPosInf = __builtin_bit_cast(float, 0x7f800000u);

/// True if rows of a [B, H, N, D] tensor can be read as 16-byte vectors.
__device__ __forceinline__ bool canVectorize(const void *base, const agi64 *stride) {
  return ((unsigned long long)base & 15u) == 0 && stride[0] % 8 == 0 && stride[1] % 8 == 0 &&
         stride[2] % 8 == 0;
}

/// Loads channels [8j, 8j+8) of one row as floats.
template <int kIn>
__device__ __forceinline__ void loadSlice(float (&x)[8], const unsigned short *row, int j,
                                          bool vec) {
  const unsigned short *p = row + 8 * j;
  if (vec) {
    const U32x4 v = ldGlobalNc16(p);
    const unsigned w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      x[2 * i] = toFloat<kIn>((unsigned short)(w[i] & 0xffffu));
      x[2 * i + 1] = toFloat<kIn>((unsigned short)(w[i] >> 16));
    }
  } else {
#pragma unroll
    for (int i = 0; i < 8; ++i)
      x[i] = toFloat<kIn>(p[i]);
  }
}

/// Channels [8j, 8j+8) of one row as raw 16-bit words (4 registers instead
/// of 8 floats: more rows fit in flight); unpackSlice converts them.
__device__ __forceinline__ U32x4 loadRaw(const unsigned short *row, int j, bool vec) {
  const unsigned short *p = row + 8 * j;
  if (vec)
    return ldGlobalNc16(p);
  return U32x4{p[0] | (unsigned)p[1] << 16, p[2] | (unsigned)p[3] << 16,
               p[4] | (unsigned)p[5] << 16, p[6] | (unsigned)p[7] << 16};
}

template <int kIn> __device__ __forceinline__ void unpackSlice(float (&x)[8], const U32x4 &v) {
  const unsigned w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    x[2 * i] = toFloat<kIn>((unsigned short)(w[i] & 0xffffu));
    x[2 * i + 1] = toFloat<kIn>((unsigned short)(w[i] >> 16));
  }
}

template <int kLanes> __device__ __forceinline__ float maxOverLanes(float v) {
#pragma unroll
  for (int w = kLanes / 2; w >= 1; w /= 2)
    v = quantMax2(v, __shfl_xor_sync(0xffffffffu, v, w));
  return v;
}

/// Tree sum s[i] += s[i + w], w = kLanes/2..1, over aligned groups of kLanes
/// lanes: every lane of a group ends with the value lane 0 of the tree gets.
template <int kLanes> __device__ __forceinline__ float treeSumOverLanes(float v) {
#pragma unroll
  for (int w = kLanes / 2; w >= 1; w /= 2)
    v = quantAdd(v, __shfl_xor_sync(0xffffffffu, v, w));
  return v;
}

/// One thread's 8-channel slice of a Q row as floats (zeros for rows past
/// seq_q), and q . mean(K) over the whole row in the kmeanDot order: the
/// slice's FMA chain, then the tree over the row's kLanes lanes. quant_q and
/// the sm_90a kernel's fused Q quantization both call it, so they agree bit
/// for bit (and with the emulation).
template <int kIn, int kLanes>
__device__ __forceinline__ float qSliceKmeanDot(float (&x)[8], const U32x4 &raw, bool valid,
                                                const float *kMean8) {
  if (valid) {
    unpackSlice<kIn>(x, raw);
  } else {
#pragma unroll
    for (int i = 0; i < 8; ++i)
      x[i] = 0.f;
  }
  float dot = 0.f;
#pragma unroll
  for (int i = 0; i < 8; ++i)
    dot = quantFma(x[i], kMean8[i], dot);
  return treeSumOverLanes<kLanes>(dot);
}

__device__ __forceinline__ agi64 rowOffset(const agi64 *stride, int b, int h, int t) {
  return (agi64)b * stride[0] + (agi64)h * stride[1] + (agi64)t * stride[2];
}

/// Writes 8 quantized values of one row slice into a tile image: 8 bytes
/// (8-bit), 4 bytes (int4, element 2i in the low nibble) or 16 bytes (16-bit).
template <int kType>
__device__ __forceinline__ void storeQuantSlice(unsigned char *image, const float (&x)[8],
                                                float inv) {
  if constexpr (kType == dt::I8) {
    unsigned w[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      unsigned v = 0;
#pragma unroll
      for (int i = 0; i < 4; ++i)
        v |= (unsigned)(quantizeInt(x[4 * h + i], inv, kInt8Max) & 0xff) << (8 * i);
      w[h] = v;
    }
    *reinterpret_cast<U32x2 *>(image) = U32x2{w[0], w[1]};
  } else if constexpr (kType == dt::E4M3) {
    float y[8];
#pragma unroll
    for (int i = 0; i < 8; ++i)
      y[i] = quantMul(x[i], inv);
    *reinterpret_cast<U32x2 *>(image) =
        U32x2{packE4m3x4(y[0], y[1], y[2], y[3]), packE4m3x4(y[4], y[5], y[6], y[7])};
  } else if constexpr (kType == dt::I4) {
    unsigned v = 0;
#pragma unroll
    for (int i = 0; i < 8; ++i)
      v |= (unsigned)(quantizeInt(x[i], inv, kInt4Max) & 0xf) << (4 * i);
    *reinterpret_cast<unsigned *>(image) = v;
  } else {
    *reinterpret_cast<U32x4 *>(image) =
        U32x4{packHalf2<kType>(x[0], x[1]), packHalf2<kType>(x[2], x[3]),
              packHalf2<kType>(x[4], x[5]), packHalf2<kType>(x[6], x[7])};
  }
}

/// Geometry of processing a tile of kRows rows x D channels with 256 threads.
template <int kHeadDim, int kRows> struct RowTiling {
  static constexpr int kSlices = kHeadDim / 8;            // threads per row
  static constexpr int kRowsPerPass = kThreads / kSlices; // rows per pass
  static constexpr int kPasses = kRows / kRowsPerPass;
  static_assert(kSlices <= 32 && kThreads % kSlices == 0, "head dim 32..256 expected");
  static_assert(kRows % kRowsPerPass == 0, "tile rows must be a multiple of a pass");
  __device__ static int slice() { return threadIdx.x % kSlices; }
  __device__ static int row(int pass) { return pass * kRowsPerPass + threadIdx.x / kSlices; }
};

/// A tile held as floats: the source quantizeTile reads for quant_q.
template <int kPasses> struct FloatRows {
  const float (*x)[8];
  __device__ __forceinline__ void operator()(int pass, float (&out)[8]) const {
#pragma unroll
    for (int i = 0; i < 8; ++i)
      out[i] = x[pass][i];
  }
};

/// Quantizes a tile of rows with the group scales of `gran`: per-row amax ->
/// shared, group amax per row, then quantize into the tile image and write
/// one scale per row. `src(pass, x)` yields the 8 (smoothed) floats of this
/// thread's slice in `pass`; it is called twice per pass (amax, then store),
/// so a source may rebuild them from raw words instead of holding 8 floats
/// per pass (fewer registers) as long as it computes them the same way.
/// Token indices of the tile start at a multiple of kRows, so each group
/// (qGroupOf / kGroupOf in quant_math.h; kIsK picks which) lies inside the tile.
template <int kType, int kHeadDim, int kRows, int kGran, bool kIsK, class Src>
__device__ __forceinline__ void quantizeTile(const Src &src, float tensorAmax,
                                             unsigned char *image, float *scaleOut,
                                             float scaleMul, float *sAmax) {
  using T = RowTiling<kHeadDim, kRows>;
  constexpr int kRowBytes = kHeadDim * dtBits(kType) / 8;
  constexpr bool k16 = !(dtIs8Bit(kType) || kType == dt::I4);
  constexpr float kQMax = k16 ? 1.f : quantMax(kType);
  if constexpr (!k16) {
#pragma unroll
    for (int pass = 0; pass < T::kPasses; ++pass) {
      float x[8];
      src(pass, x);
      float a = 0.f;
#pragma unroll
      for (int i = 0; i < 8; ++i)
        a = quantMax2(a, quantAbs(x[i]));
      a = maxOverLanes<T::kSlices>(a);
      if (T::slice() == 0)
        sAmax[T::row(pass)] = a;
    }
    __syncthreads();
    // Row r's group amax: the max over the rows of its group in this tile.
    float groupAmax = 0.f;
    if (threadIdx.x < kRows) {
      const int r = threadIdx.x;
      if constexpr (kGran == gran::Tensor) {
        groupAmax = tensorAmax;
      } else if constexpr (kGran == gran::Token) {
        groupAmax = sAmax[r];
      } else if constexpr (kGran == gran::Block) {
        for (int u = 0; u < kRows; ++u)
          groupAmax = quantMax2(groupAmax, sAmax[u]);
      } else if constexpr (kGran == gran::Warp) {
#pragma unroll
        for (int u = 0; u < 16; ++u)
          groupAmax = quantMax2(groupAmax, sAmax[16 * (r / 16) + u]);
      } else if constexpr (kGran == gran::Thread && !kIsK) {
        // Q rows {i, i + 8} of each 16-row group.
        groupAmax = quantMax2(sAmax[16 * (r / 16) + r % 8], sAmax[16 * (r / 16) + r % 8 + 8]);
      } else if constexpr (kGran == gran::Thread && kIsK) {
        // K tokens of the tile with equal (t mod 8) / 2.
#pragma unroll
        for (int a = 0; a < kRows / 8; ++a)
          groupAmax = quantMax2(groupAmax, quantMax2(sAmax[8 * a + 2 * ((r % 8) / 2)],
                                                     sAmax[8 * a + 2 * ((r % 8) / 2) + 1]));
      } else {
        static_assert(kGran == gran::Token, "unknown granularity");
      }
    }
    __syncthreads();
    if (threadIdx.x < kRows)
      sAmax[threadIdx.x] = groupAmax;
    __syncthreads();
  }
#pragma unroll
  for (int pass = 0; pass < T::kPasses; ++pass) {
    const int r = T::row(pass), j = T::slice();
    const float amax = k16 ? 1.f : sAmax[r];
    const float inv = k16 ? 1.f : quantInvScale(amax, kQMax);
    constexpr int kSliceBytes = 8 * dtBits(kType) / 8;
    unsigned char *dst = image + tileImageOffset(r, j * kSliceBytes, kRows, kRowBytes);
    float x[8];
    src(pass, x);
    storeQuantSlice<kType>(dst, x, inv);
    if (j == 0)
      scaleOut[r] = k16 ? scaleMul : quantMul(quantScale(amax, kQMax), scaleMul);
  }
}

} // namespace prologue

//===-- KVStats ------------------------------------------------------------===//

namespace prologue {
/// Balancing: max |q| per channel over the chunk's tokens of every query head
/// of kv head h, into q_partial (order-free). Same thread mapping as the K/V
/// pass: (residue, 8-channel slice), 4 rows loaded ahead per thread.
template <class Cfg, bool kVec>
__device__ __forceinline__ void qChannelAmax(const AttnParams &p, int chunk, int h, int b,
                                             float (&sPart)[32][Cfg::kHeadDim]) {
  constexpr int D = Cfg::kHeadDim, kSlices = D / 8, kResPerPass = kThreads / kSlices;
  if (chunk >= p.q_chunks || p.q_partial == nullptr)
    return;
  const int j = threadIdx.x % kSlices, res0 = threadIdx.x / kSlices;
  // The chunk's statistics tokens first + S * i, i < n (quant_math.h).
  constexpr int S = kStatsStrideQ;
  const int t0 = chunk * Cfg::kKvChunk;
  const int t1 = t0 + Cfg::kKvChunk < p.seq_q ? t0 + Cfg::kKvChunk : p.seq_q;
  const int first = statsFirst(t0, S), n = statsCount(t1, S) - statsCount(t0, S);
  const unsigned short *base = static_cast<const unsigned short *>(p.q);
  constexpr bool vec = kVec;
  float amax[8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
    amax[i] = 0.f;
  constexpr int kAhead = 4;
#pragma unroll 1
  for (int g = 0; g < Cfg::kGqa; ++g) {
    const int hq = h * Cfg::kGqa + g;
    for (int i0 = res0; i0 < n; i0 += kAhead * kResPerPass) {
      U32x4 raw[kAhead];
#pragma unroll
      for (int u = 0; u < kAhead; ++u)
        if (i0 + u * kResPerPass < n)
          raw[u] = loadRaw(base + rowOffset(p.q_stride, b, hq, first + S * (i0 + u * kResPerPass)),
                           j, vec);
#pragma unroll
      for (int u = 0; u < kAhead; ++u)
        if (i0 + u * kResPerPass < n) {
          float x[8];
          unpackSlice<Cfg::kIn>(x, raw[u]);
#pragma unroll
          for (int i = 0; i < 8; ++i)
            amax[i] = quantMax2(amax[i], quantAbs(x[i]));
        }
    }
  }
#pragma unroll
  for (int i = 0; i < 8; ++i)
    sPart[res0][8 * j + i] = amax[i];
  __syncthreads();
  float *out = p.q_partial + (((agi64)b * p.heads_kv + h) * p.q_chunks + chunk) * D;
  for (int c = threadIdx.x; c < D; c += kThreads) {
    float e = sPart[0][c];
    for (int l = 1; l < kResPerPass; ++l)
      e = quantMax2(e, sPart[l][c]);
    out[c] = e;
  }
}
} // namespace prologue

/// Grid (kv_chunks, Hkv, B). The partial sum of residue l (0..31) of a
/// channel runs over the chunk's statistics tokens l, l+32, ... in order (K:
/// the sample of statsStrideK, V: every token), then the 32 residues combine
/// by treeSum32 (quant_math.h). V is read only when its statistics are used
/// (8-bit PV scales, V smoothing). Threads map to (residue,
/// 8-channel slice) so that a warp reads whole rows (coalesced): D/8 threads
/// per row, 256/D residues per warp; a thread owns residues r, r + R, ... for
/// R = residues per pass. The residue partials meet in shared memory, where
/// thread c runs the tree of channel c.
namespace prologue {
/// KVStats' body for inputs that do (kVec) or do not allow 16-byte loads
/// (chosen at compile time, as QuantKV's: no predicated-off 2-byte loads).
/// `sPart`: the residue partials, declared once by kv_stats for both
/// instantiations (2 x 32 KB at D = 256 would pass the 48 KB of static
/// shared memory).
template <class Cfg, bool kVec>
__device__ __forceinline__ void kvStats(const AttnParams &p,
                                        float (&sPart)[32][Cfg::kHeadDim]) {
  constexpr int D = Cfg::kHeadDim, kSlices = D / 8;
  constexpr int kResPerPass = kThreads / kSlices; // residues covered by one pass
  constexpr int kPasses = 32 / kResPerPass;
  static_assert(kThreads % kSlices == 0 && 32 % kResPerPass == 0, "head dim 64..256");
  const int chunk = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int j = threadIdx.x % kSlices, res0 = threadIdx.x / kSlices;
  // Sequence b's keys only (kvSeqLen): a chunk past them is empty.
  const int nk = kvSeqLen(p, b), t0 = chunk * Cfg::kKvChunk;
  const int t1 = t0 + Cfg::kKvChunk < nk ? t0 + Cfg::kKvChunk : nk < t0 ? t0 : nk;
  // QuantKV may start now: it loads its K rows (inputs) before it waits.
  allowDependentLaunch();

  // With balancing the grid covers max(kv_chunks, q_chunks): chunks past
  // kv_chunks only reduce Q (the bound is uniform over the block).
  constexpr bool kVStats = dtIs8Bit(Cfg::kPV) || Cfg::kSmoothV;
  const int kvPasses = chunk < p.kv_chunks ? (kVStats ? 2 : 1) : 0;
#pragma unroll 1
  for (int which = 0; which < kvPasses; ++which) {
    const unsigned short *base =
        static_cast<const unsigned short *>(which == 0 ? p.k : p.v);
    const agi64 *stride = which == 0 ? p.k_stride : p.v_stride;
    float *out = (which == 0 ? p.k_partial : p.v_partial) +
                 (((agi64)b * p.heads_kv + h) * p.kv_chunks + chunk) * 3 * D;
    constexpr bool vec = kVec;
    // Statistics tokens first + step * i, i < n.
    const int step = which == 0 ? statsStrideK(Cfg::kKGran == gran::Tensor) : 1;
    const int first = statsFirst(t0, step), n = statsCount(t1, step) - statsCount(t0, step);
    float sum[kPasses][8], mx[8], mn[8];
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      mx[i] = kNegInf;
      mn[i] = kPosInf;
#pragma unroll
      for (int q = 0; q < kPasses; ++q)
        sum[q][i] = 0.f;
    }
    // Steps of 4 x 32 tokens: each thread loads its 4 * kPasses rows first
    // (memory-level parallelism: the kernel is latency bound otherwise), then
    // adds them in token order per residue.
    constexpr int kAhead = 4;
    for (int i0 = 0; i0 < n; i0 += 32 * kAhead) {
      U32x4 raw[kAhead][kPasses];
#pragma unroll
      for (int u = 0; u < kAhead; ++u)
#pragma unroll
        for (int q = 0; q < kPasses; ++q) {
          const int i = i0 + 32 * u + res0 + q * kResPerPass;
          if (i < n)
            raw[u][q] = loadRaw(base + rowOffset(stride, b, h, first + step * i), j, vec);
        }
#pragma unroll
      for (int u = 0; u < kAhead; ++u)
#pragma unroll
        for (int q = 0; q < kPasses; ++q) {
          if (i0 + 32 * u + res0 + q * kResPerPass < n) {
            float x[8];
            unpackSlice<Cfg::kIn>(x, raw[u][q]);
#pragma unroll
            for (int i = 0; i < 8; ++i) {
              sum[q][i] = quantAdd(sum[q][i], x[i]);
              mx[i] = quantMax2(mx[i], x[i]);
              mn[i] = quantMin2(mn[i], x[i]);
            }
          }
        }
    }
    // Sums: residue partials -> shared -> per-channel tree.
#pragma unroll
    for (int q = 0; q < kPasses; ++q)
#pragma unroll
      for (int i = 0; i < 8; ++i)
        sPart[res0 + q * kResPerPass][8 * j + i] = sum[q][i];
    __syncthreads();
    for (int c = threadIdx.x; c < D; c += kThreads) {
      // treeSum32 (quant_math.h) in place on the channel's column.
#pragma unroll
      for (int w = 16; w >= 1; w /= 2)
#pragma unroll
        for (int i = 0; i < w; ++i)
          sPart[i][c] = quantAdd(sPart[i][c], sPart[i + w][c]);
      out[c] = sPart[0][c];
    }
    __syncthreads();
    // Extrema (order-free): per thread, then over the threads of a channel.
#pragma unroll
    for (int half = 0; half < 2; ++half) {
#pragma unroll
      for (int i = 0; i < 8; ++i)
        sPart[res0][8 * j + i] = half == 0 ? mx[i] : mn[i];
      __syncthreads();
      for (int c = threadIdx.x; c < D; c += kThreads) {
        float e = sPart[0][c];
        for (int l = 1; l < kResPerPass; ++l)
          e = half == 0 ? quantMax2(e, sPart[l][c]) : quantMin2(e, sPart[l][c]);
        out[(1 + half) * D + c] = e;
      }
      __syncthreads();
    }
  }
  if constexpr (Cfg::kBalance)
    qChannelAmax<Cfg, kVec>(p, chunk, h, b, sPart);

  // The head's last CTA reduces every chunk's partials, in chunk order (the
  // arithmetic QuantKV's CTAs each did before), into kv_head.
  __shared__ bool sLast;
  __threadfence(); // this CTA's partials before its ticket
  __syncthreads();
  if (threadIdx.x == 0) {
    const agi64 head = (agi64)b * p.heads_kv + h;
    unsigned *done = static_cast<unsigned *>(p.kv_done) + head;
    sLast = atomicAdd(done, 1u) == gridDim.x - 1;
    if (sLast)
      *done = 0u; // as the launch leaves it (it also zeroes it first)
  }
  __syncthreads();
  if (!sLast)
    return;
  __threadfence(); // the other CTAs' partials, seen through L2 (ld.cg below)
  const agi64 head = (agi64)b * p.heads_kv + h;
  for (int c = threadIdx.x; c < D; c += kThreads) {
    const float *kp = p.k_partial + head * p.kv_chunks * 3 * D;
    const float *vp = p.v_partial + head * p.kv_chunks * 3 * D;
    float ks = 0.f, kmx = kNegInf, kmn = kPosInf, vs = 0.f, vmx = kNegInf, vmn = kPosInf;
#pragma unroll 4
    for (int ch = 0; ch < p.kv_chunks; ++ch) {
      ks = quantAdd(ks, __ldcg(kp + ch * 3 * D + c));
      kmx = quantMax2(kmx, __ldcg(kp + ch * 3 * D + D + c));
      kmn = quantMin2(kmn, __ldcg(kp + ch * 3 * D + 2 * D + c));
      if constexpr (kVStats) { // no V partials otherwise
        vs = quantAdd(vs, __ldcg(vp + ch * 3 * D + c));
        vmx = quantMax2(vmx, __ldcg(vp + ch * 3 * D + D + c));
        vmn = quantMin2(vmn, __ldcg(vp + ch * 3 * D + 2 * D + c));
      }
    }
    float qAmax = 0.f;
    if constexpr (Cfg::kBalance)
      for (int ch = 0; p.q_partial != nullptr && ch < p.q_chunks; ++ch)
        qAmax = quantMax2(qAmax, __ldcg(p.q_partial + (head * p.q_chunks + ch) * D + c));
    float *out = p.kv_head + head * 7 * D + c;
    out[0] = ks;
    out[D] = kmx;
    out[2 * D] = kmn;
    out[3 * D] = vs;
    out[4 * D] = vmx;
    out[5 * D] = vmn;
    out[6 * D] = qAmax;
  }
}
} // namespace prologue

template <class Cfg> __device__ __forceinline__ void kv_stats(const AttnParams &p) {
  using namespace prologue;
  // Q's rows are read only with balancing (qChannelAmax).
  const bool vecQ = !Cfg::kBalance || canVectorize(p.q, p.q_stride);
  __shared__ float sPart[32][Cfg::kHeadDim];
  if (vecQ && canVectorize(p.k, p.k_stride) && canVectorize(p.v, p.v_stride))
    kvStats<Cfg, true>(p, sPart);
  else
    kvStats<Cfg, false>(p, sPart);
}

//===-- QuantKV ------------------------------------------------------------===//

/// Grid (Nk_pad / blockN, Hkv, B).
namespace prologue {
/// QuantKV's body for inputs that do (kVec) or do not allow 16-byte loads:
/// a compile-time choice, so no load is issued on both paths with predicates
/// (ncu: ptxas had if-converted the 2-byte path, and every 16-byte load came
/// with eight predicated-off 2-byte loads and the PRMTs joining them).
/// `sV` (quantVBytes<Cfg>(), 16-byte aligned, declared once by quant_kv for
/// both instantiations): the 8-bit V^T image built in shared memory, and with
/// kVPrefetch first the block's 16-bit V rows.
template <class Cfg> __host__ __device__ constexpr bool quantVPrefetch(bool vec) {
  // The rows' 16-byte chunks are swizzled by an index 0..7 (vRowChunk): a
  // power-of-two count of at least 8.
  constexpr int kChunks = Cfg::kHeadDim / 8;
  return dtIs8Bit(Cfg::kPV) && vec && kChunks >= 8 && (kChunks & (kChunks - 1)) == 0;
}
template <class Cfg> __host__ __device__ constexpr int quantVBytes() {
  constexpr int D = Cfg::kHeadDim, BN = Cfg::kBlockN;
  return !dtIs8Bit(Cfg::kPV) ? 16 : quantVPrefetch<Cfg>(true) ? 2 * D * BN : D * BN;
}
/// Byte offset of 16-byte chunk j of V row r in the prefetched rows. The
/// transposing reads take, per quarter-warp (one shared-memory phase of
/// 16-byte loads), one chunk index of the 8 tokens perm32(4i + e), i = 0..7:
/// chunks are XOR-swizzled by that i (i = 4 (r / 16) + (r % 8) / 2 within
/// the group of 32), so the 8 fall in different banks.
template <int kChunks> __device__ __forceinline__ int vRowChunk(int r, int j) {
  const int i = 4 * ((r % 32) / 16) + (r % 8) / 2;
  return (r * kChunks + (j ^ i)) * 16;
}

template <class Cfg, bool kVec>
__device__ __forceinline__ void quantKv(const AttnParams &p, unsigned char *sVt) {
  constexpr int D = Cfg::kHeadDim, BN = Cfg::kBlockN;
  constexpr bool kV8 = dtIs8Bit(Cfg::kPV), kVStats = kV8 || Cfg::kSmoothV;
  static_assert(Cfg::kPV != dt::I4, "4-bit PV is not supported");
  using T = RowTiling<D, BN>;
  const int blk = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int nBlocks = p.seq_k_pad / BN;
  const agi64 head = (agi64)b * p.heads_kv + h;
  const int nk = kvSeqLen(p, b); // tokens past it are quantized as zeros

  __shared__ float sKMean[D], sVMean[D], sVInv[D], sAmax[BN];
  __shared__ float sKBalInv[Cfg::kBalance ? D : 1]; // 1 / a_c (a power of two)
  __shared__ float sTensorAmax;

  // 8-bit V: the block's V rows are copied into shared memory first
  // (cp.async), so that their load runs under K's and the statistics' instead
  // of after K's quantization (bench/NOTES.md Q-2).
  constexpr bool kVPrefetch = quantVPrefetch<Cfg>(kVec);
  if constexpr (kVPrefetch) {
    constexpr int kChunks = D / 8;
    const unsigned short *base = static_cast<const unsigned short *>(p.v);
    const unsigned sBase = smemAddr(sVt);
    static_assert(BN * kChunks % kThreads == 0, "whole passes of 16-byte chunks");
#pragma unroll
    for (int k = 0; k < BN * kChunks / kThreads; ++k) {
      const int u = threadIdx.x + k * kThreads, r = u / kChunks, j = u % kChunks;
      const int t = blk * BN + r;
      if (t < nk) // rows past Nk are never read (valid[] below)
        sm80::CpAsync16::run(sBase + vRowChunk<kChunks>(r, j),
                             base + rowOffset(p.v_stride, b, h, t) + 8 * j);
    }
    sm80::CpAsyncCommit::run();
  }

  // This block's K rows are requested first: their latency overlaps the
  // reduction of the chunk partials below.
  U32x4 kRaw[T::kPasses];
  {
    const unsigned short *base = static_cast<const unsigned short *>(p.k);
    constexpr bool vec = kVec;
#pragma unroll
    for (int pass = 0; pass < T::kPasses; ++pass) {
      const int t = blk * BN + T::row(pass);
      if (t < nk)
        kRaw[pass] = loadRaw(base + rowOffset(p.k_stride, b, h, t), T::slice(), vec);
    }
  }

  // The attention kernel may start (it waits for this grid); the partials
  // below come from KVStats, which may still be running.
  allowDependentLaunch();
  waitForPrerequisiteGrid();

  // Channel statistics: chunk partials in chunk order (quant_math.h).
  if (threadIdx.x == 0)
    sTensorAmax = 0.f;
  __syncthreads();
  for (int c = threadIdx.x; c < D; c += kThreads) {
    // The head's reduced partials (KVStats' last CTA). No partials when the
    // plan has no KVStats (no smoothing, no channel or tensor scales to
    // find): the means stay 0.
    float ks = 0.f, kmx = kNegInf, kmn = kPosInf, vs = 0.f, vmx = kNegInf, vmn = kPosInf;
    float qAmaxHead = 0.f;
    if (p.k_partial != nullptr) {
      const float *in = p.kv_head + head * 7 * D + c;
      ks = in[0];
      kmx = in[D];
      kmn = in[2 * D];
      if constexpr (kVStats) {
        vs = in[3 * D];
        vmx = in[4 * D];
        vmn = in[5 * D];
      }
      qAmaxHead = in[6 * D];
    }
    // The mean over K's statistics tokens (all of them, or the sample).
    // (At least 1: a sequence without keys gets means of 0, not 0 / 0.)
    const int kStats = statsCount(nk, statsStrideK(Cfg::kKGran == gran::Tensor));
    const float kCount = (float)(kStats > 0 ? kStats : 1);
    const float kMean = Cfg::kSmoothK ? quantDiv(ks, kCount) : 0.f;
    const float vMean = Cfg::kSmoothV ? quantDiv(vs, (float)(nk > 0 ? nk : 1)) : 0.f;
    const float vAmax = smoothedAmax(vmx, vmn, vMean);
    const float vQMax = kV8 ? quantMax(Cfg::kPV) : 1.f;
    sKMean[c] = kMean;
    sVMean[c] = vMean;
    sVInv[c] = kV8 ? quantInvScale(vAmax, vQMax) : 1.f;
    float kAmax = smoothedAmax(kmx, kmn, kMean);
    if constexpr (Cfg::kBalance) {
      // a_c from amax K'_c and amax Q_c (chunk maxima; order-free). Without
      // the partials (no KVStats) nothing is balanced.
      const float qAmax = qAmaxHead;
      const float a = p.k_partial != nullptr ? balanceFactor(kAmax, qAmax) : 1.f;
      const float aInv = quantDiv(1.f, a);
      sKBalInv[c] = aInv;
      kAmax = quantMul(kAmax, aInv); // exact: the amax of K' / a_c
      if (blk == 0 && p.qk_balance != nullptr)
        p.qk_balance[head * D + c] = a;
    }
    // Max of non-negative floats: integer atomicMax on the bits is exact.
    atomicMax(reinterpret_cast<int *>(&sTensorAmax), __float_as_int(kAmax));
    if (blk == 0) {
      p.k_mean[head * D + c] = kMean;
      p.v_mean[head * D + c] = vMean;
      p.v_scale[head * D + c] = kV8 ? quantScale(vAmax, vQMax) : 1.f;
    }
  }
  __syncthreads();

  // K: smooth (and balance) the block's rows (zeros past Nk) and quantize them
  // into its tile image. The rows stay raw 16-bit words and are converted
  // twice (amax pass, store pass): holding 8 floats per pass instead took 94
  // registers (2 CTAs/SM); this way 64 (4 CTAs/SM).
  {
    struct KRows {
      const U32x4 *raw;
      const float *mean, *balInv;
      int t0, seqK;
      __device__ __forceinline__ void operator()(int pass, float (&x)[8]) const {
        const int j = T::slice();
        if (t0 + T::row(pass) < seqK) {
          unpackSlice<Cfg::kIn>(x, raw[pass]);
#pragma unroll
          for (int i = 0; i < 8; ++i)
            x[i] = quantSub(x[i], mean[8 * j + i]);
          if constexpr (Cfg::kBalance)
#pragma unroll
            for (int i = 0; i < 8; ++i)
              x[i] = quantMul(x[i], balInv[8 * j + i]);
        } else {
#pragma unroll
          for (int i = 0; i < 8; ++i)
            x[i] = 0.f;
        }
      }
    };
    const KRows rows{kRaw, sKMean, sKBalInv, blk * BN, nk};
    constexpr int kRowBytes = D * dtBits(Cfg::kQK) / 8;
    unsigned char *image = static_cast<unsigned char *>(p.k_quant) +
                           (head * nBlocks + blk) * (agi64)(BN * kRowBytes);
    quantizeTile<Cfg::kQK, D, BN, Cfg::kKGran, true>(
        rows, sTensorAmax, image, p.k_scale + head * p.seq_k_pad + blk * BN, 1.f, sAmax);
  }

  // V: 8-bit transposed + perm32 image (built in shared memory, then copied
  // out with 16-byte stores), or a 16-bit image written directly.
  {
    const unsigned short *base = static_cast<const unsigned short *>(p.v);
    constexpr bool vec = kVec;
    if constexpr (kV8) {
      // A unit is 8 channels x the 4 tokens of image columns 4g..4g+3, stored
      // as one 32-bit word per channel (a byte per token scatter would hit one
      // bank 16 times). Lanes: 16 column groups x 2 adjacent slices, so each
      // load reads whole 32-byte sectors and the stores conflict 2-way.
      static_assert(BN % 64 == 0 && D % 16 == 0, "8-bit V^T: blockN 64/128, head dim % 16");
      constexpr int kGroups = BN / 4, kUnits = kGroups * (D / 8);
      constexpr int kPerThread = (kUnits + kThreads - 1) / kThreads;
      U32x4 raw[kPerThread][4];
      int grp[kPerThread], slc[kPerThread];
      if constexpr (kVPrefetch) {
        sm80::CpAsyncWait<0>::run();
        __syncthreads();
      }
#pragma unroll
      for (int k = 0; k < kPerThread; ++k) {
        const int u = threadIdx.x + k * kThreads, w = u / 32, l = u % 32;
        grp[k] = (w % (kGroups / 16)) * 16 + l % 16;
        slc[k] = 2 * (w / (kGroups / 16)) + l / 16;
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int col = 4 * grp[k] + e, r = (col / 32) * 32 + perm32(col % 32), t = blk * BN + r;
          if (u < kUnits && t < nk) {
            if constexpr (kVPrefetch)
              raw[k][e] = *reinterpret_cast<const U32x4 *>(sVt + vRowChunk<D / 8>(r, slc[k]));
            else
              raw[k][e] = loadRaw(base + rowOffset(p.v_stride, b, h, t), slc[k], vec);
          }
        }
      }
      if constexpr (kVPrefetch) // the rows are in registers: the V^T image may overwrite them
        __syncthreads();
#pragma unroll
      for (int k = 0; k < kPerThread; ++k) {
        if (threadIdx.x + k * kThreads >= kUnits)
          break;
        const int j = slc[k];
        bool valid[4];
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int col = 4 * grp[k] + e;
          valid[e] = blk * BN + (col / 32) * 32 + perm32(col % 32) < nk;
        }
        // Converted channel by channel: few floats live at once.
#pragma unroll
        for (int i = 0; i < 8; ++i) {
          const int c = 8 * j + i;
          const float mean = sVMean[c], inv = sVInv[c];
          unsigned word = 0;
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const U32x4 &r4 = raw[k][e];
            const unsigned w = i < 2 ? r4.x : i < 4 ? r4.y : i < 6 ? r4.z : r4.w;
            const unsigned short bits = (unsigned short)(i % 2 ? w >> 16 : w & 0xffffu);
            const float x = valid[e] ? quantSub(toFloat<Cfg::kIn>(bits), mean) : 0.f;
            unsigned q;
            if constexpr (Cfg::kPV == dt::E4M3)
              q = quantizeE4m3(x, inv);
            else
              q = (unsigned)quantizeInt(x, inv, kInt8Max) & 0xffu;
            word |= q << (8 * e);
          }
          *reinterpret_cast<unsigned *>(sVt + tileImageOffset(c, 4 * grp[k], D, BN)) = word;
        }
      }
    }
#pragma unroll
    for (int pass = 0; pass < (kV8 ? 0 : T::kPasses); ++pass) {
      const int r = T::row(pass), t = blk * BN + r, j = T::slice();
      float x[8];
      if (t < nk) {
        loadSlice<Cfg::kIn>(x, base + rowOffset(p.v_stride, b, h, t), j, vec);
#pragma unroll
        for (int i = 0; i < 8; ++i)
          x[i] = quantSub(x[i], sVMean[8 * j + i]);
      } else {
#pragma unroll
        for (int i = 0; i < 8; ++i)
          x[i] = 0.f;
      }
      if constexpr (!kV8) {
        constexpr int kRowBytes = 2 * D;
        unsigned char *image = static_cast<unsigned char *>(p.v_quant) +
                               (head * nBlocks + blk) * (agi64)(BN * kRowBytes);
        storeQuantSlice<Cfg::kPV>(image + tileImageOffset(r, 16 * j, BN, kRowBytes), x, 1.f);
      }
    }
    if constexpr (kV8) {
      __syncthreads();
      U32x4 *dst = reinterpret_cast<U32x4 *>(static_cast<unsigned char *>(p.v_quant) +
                                             (head * nBlocks + blk) * (agi64)(D * BN));
      const U32x4 *src = reinterpret_cast<const U32x4 *>(sVt);
      for (int i = threadIdx.x; i < D * BN / 16; i += kThreads)
        dst[i] = src[i];
    }
  }
}
} // namespace prologue

template <class Cfg> __device__ __forceinline__ void quant_kv(const AttnParams &p) {
  using namespace prologue;
  __shared__ alignas(16) unsigned char sV[quantVBytes<Cfg>()];
  if (canVectorize(p.k, p.k_stride) && canVectorize(p.v, p.v_stride))
    quantKv<Cfg, true>(p, sV);
  else
    quantKv<Cfg, false>(p, sV);
}

//===-- QuantQ -------------------------------------------------------------===//

/// Grid (Nq_pad / blockM, Hq, B).
template <class Cfg> __device__ __forceinline__ void quant_q(const AttnParams &p) {
  using namespace prologue;
  constexpr int D = Cfg::kHeadDim, BM = Cfg::kBlockM;
  static_assert(!Cfg::kSmoothQ, "Q smoothing is not implemented in the prologue yet");
  static_assert(Cfg::kQGran != gran::Tensor, "per-tensor Q scales are not offered");
  using T = RowTiling<D, BM>;
  const int blk = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int hkv = h / Cfg::kGqa;
  const agi64 head = (agi64)b * p.heads_q + h;
  __shared__ float sKMean[D], sAmax[BM];
  __shared__ float sBal[Cfg::kBalance ? D : 1]; // a_c of the kv head (quant_kv)
  waitForPrerequisiteGrid(); // k_mean and qk_balance come from QuantKV
  for (int c = threadIdx.x; c < D; c += kThreads) {
    sKMean[c] = Cfg::kSmoothK ? p.k_mean[((agi64)b * p.heads_kv + hkv) * D + c] : 0.f;
    if constexpr (Cfg::kBalance)
      sBal[c] = p.qk_balance != nullptr ? p.qk_balance[((agi64)b * p.heads_kv + hkv) * D + c]
                                        : 1.f;
  }
  __syncthreads();

  const unsigned short *base = static_cast<const unsigned short *>(p.q);
  const bool vec = canVectorize(base, p.q_stride);
  // Every row is requested before any is used: the shuffles of the loop below
  // would otherwise serialize one load latency per pass.
  U32x4 raw[T::kPasses];
#pragma unroll
  for (int pass = 0; pass < T::kPasses; ++pass) {
    const int t = blk * BM + T::row(pass);
    if (t < p.seq_q)
      raw[pass] = loadRaw(base + rowOffset(p.q_stride, b, h, t), T::slice(), vec);
  }
  float x[T::kPasses][8];
#pragma unroll
  for (int pass = 0; pass < T::kPasses; ++pass) {
    const int r = T::row(pass), t = blk * BM + r, j = T::slice();
    // LSE correction s * q . mean(K) in the kmeanDot order (quant_math.h).
    const float dot = qSliceKmeanDot<Cfg::kIn, T::kSlices>(x[pass], raw[pass], t < p.seq_q,
                                                           &sKMean[8 * j]);
    if (j == 0)
      p.q_kmean[head * p.seq_q_pad + t] = Cfg::kSmoothK ? quantMul(dot, p.sm_scale) : 0.f;
    // Balance after the LSE correction, which needs the original q.
    if constexpr (Cfg::kBalance)
#pragma unroll
      for (int i = 0; i < 8; ++i)
        x[pass][i] = quantMul(x[pass][i], sBal[8 * j + i]);
  }
  constexpr int kRowBytes = D * dtBits(Cfg::kQK) / 8;
  unsigned char *image =
      static_cast<unsigned char *>(p.q_quant) + (head * (p.seq_q_pad / BM) + blk) * (agi64)(BM * kRowBytes);
  quantizeTile<Cfg::kQK, D, BM, Cfg::kQGran, false>(
      FloatRows<T::kPasses>{x}, 0.f, image, p.q_scale + head * p.seq_q_pad + blk * BM, p.sm_scale_log2, sAmax);
}

} // namespace attngen

#endif // ATTNGEN_QUANT_PROLOGUE_CUH
