//===- block_map.cuh - The tiles of a dense bias that are all -inf --------===//
//
// A dense bias that masks (-inf entries: padding, block-sparse or document
// masks) leaves whole blockM x blockN tiles without a visible key. The block
// map marks each tile of the table with one byte, 0 where every entry is
// -inf, so the mainloops can skip it: the wgmma mainloop visits only the
// marked tiles (producer and consumers walk the same sequence), the mma.sync
// mainloop skips their arithmetic. A skipped tile would contribute exp(-inf)
// = 0 to every row it touches, so the output is the same with or without the
// map (a row masked everywhere still gives O = 0 and LSE = -inf).
//
// The map is built once per table by the kernel below (Kernel::buildBlockMap
// in the runtime) and passed with every launch that uses the same table. Its
// batch and head dimensions broadcast exactly where the table's do.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_MASK_BLOCK_MAP_CUH
#define ATTNGEN_MASK_BLOCK_MAP_CUH

#include "attngen/arch/ptx_common.cuh"
#include "attngen/kernel/config.h"
#include "attngen/kernel/params.h"
#include "attngen/mask/score_mod.h"

namespace attngen {

/// The map row of one query block: which of its key blocks are visited.
template <class Cfg> struct BlockMapRow {
  const unsigned char *row = nullptr; ///< null: every block is visited

  __device__ __forceinline__ BlockMapRow(const AttnParams &p, int b, int h, int mTile) {
    if constexpr (ScoreMods<Cfg>::kDenseBias)
      if (p.bias_map != nullptr)
        row = p.bias_map + b * p.bias_map_stride[0] + h * p.bias_map_stride[1] +
              (agi64)mTile * p.bias_map_cols;
  }
  __device__ __forceinline__ bool visible(int n) const {
    if constexpr (ScoreMods<Cfg>::kDenseBias)
      return row == nullptr || __ldg(row + n) != 0;
    return true;
  }
  /// The first visited key block in [n, nEnd), else nEnd.
  __device__ __forceinline__ int from(int n, int nEnd) const {
    if constexpr (ScoreMods<Cfg>::kDenseBias)
      if (row != nullptr)
        while (n < nEnd && __ldg(row + n) == 0)
          ++n;
    return n;
  }
};

/// One CTA per tile: grid (ceil(Nk / blockN), ceil(Nq / blockM), Bm * Hm),
/// kBlockMapThreads threads. Reads the tile's entries in 16-byte pieces (the
/// launch checks the table's alignment) and writes 1 if any of them is not
/// -inf (NaN counts as visible: it must reach the output).
constexpr int kBlockMapThreads = 256;

template <class Cfg> __device__ __forceinline__ void buildBlockMap(const AttnParams &p) {
  constexpr int BM = Cfg::kBlockM, BN = Cfg::kBlockN, kPieces = BN / 8;
  static_assert(BN % 8 == 0 && kBlockMapThreads % kPieces == 0, "tile of 16-byte pieces");
  constexpr unsigned short kNegInfBits = Cfg::kIn == dt::F16 ? 0xFC00u : 0xFF80u;
  const int nTile = blockIdx.x, mTile = blockIdx.y;
  const int hm = p.bias_dense_stride[1] != 0 ? p.heads_q : 1;
  const int bb = blockIdx.z / hm, hh = blockIdx.z % hm;
  const unsigned short *table = static_cast<const unsigned short *>(p.bias_dense) +
                                bb * p.bias_dense_stride[0] + hh * p.bias_dense_stride[1];
  const int col = nTile * BN + 8 * (threadIdx.x % kPieces);
  bool any = false;
  for (int r = threadIdx.x / kPieces; r < BM; r += kBlockMapThreads / kPieces) {
    const int i = mTile * BM + r;
    if (i >= p.seq_q || col >= p.seq_k)
      break;
    const unsigned short *e = table + (agi64)i * p.bias_dense_stride[2] + col;
    if (col + 8 <= p.seq_k) {
      const U32x4 v = ldGlobalNc16(e);
      const unsigned w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
      for (int k = 0; k < 4; ++k)
        any |= (w[k] & 0xffffu) != kNegInfBits || (w[k] >> 16) != kNegInfBits;
    } else {
      for (int j = 0; col + j < p.seq_k; ++j)
        any |= e[j] != kNegInfBits;
    }
  }
  any = __syncthreads_or(any) != 0;
  if (threadIdx.x == 0)
    const_cast<unsigned char *>(p.bias_map)[bb * p.bias_map_stride[0] + hh * p.bias_map_stride[1] +
                 (agi64)mTile * p.bias_map_cols + nTile] = any ? 1 : 0;
}

} // namespace attngen

#endif // ATTNGEN_MASK_BLOCK_MAP_CUH
