//===- mainloop_sm90.cuh - The wgmma attention mainloop (sm_90a) -----------===//
//
// FA3-like, warp specialized and persistent: a CTA runs tiles of blockM = 128
// (or 192) query rows of one (batch, head) one after another (tileCoord) with
// three (or four) warpgroups:
//  - warpgroup 0, the producer: one thread moves each K / V tile image (plus
//    the block's K scales) with one
//    cp.async.bulk per tile into a `stages`-deep ring guarded by full / empty
//    mbarriers. The images are contiguous in global memory, so no tensor map
//    is needed. It gives its registers away (setmaxnreg.dec).
//  - warpgroups 1 and 2 (and 3 where blockM = 192, tile_size.h
//    sm90ThreeConsumersFit), the consumers: 64 query rows each. First each
//    quantizes its rows of Q into the Q tile image in shared memory (as
//    quant_q would; see quantizeQ), from a shared stage that the producer
//    fills during the previous tile where it fits. Then per key block:
//    S = Q K^T (wgmma SS, K-major, swizzled descriptors over the images),
//    int32 -> float by the magic-number trick, scale, mask (diagonal and last
//    blocks only: the loop is split so unmasked blocks carry no mask code),
//    online softmax in exp2, P packed from the S registers into the A
//    fragment (perm32 makes it a pure repack for 8-bit PV), O += P V (wgmma
//    RS) in a fresh accumulator per block for FP8 / INT8 (two-level),
//    directly into O for 16-bit PV. PV(n) and QK(n+1) are issued together.
//    FP8 PV is N = D + 8 wide: 8 rows of e4m3 1.0 after V's channels in each
//    slot make its last columns the row sums of P (no FADD per score). With
//    three consumers at D = 128 the PV runs as two halves of D / 2 channels,
//    each retired into O before the next, and S(n+1) is issued after both
//    (splitPv): O + S then fit the 160 registers a consumer has.
// For INT8 PV and 16-bit QK the two consumer warpgroups take turns issuing
// (pingpong named barriers), so one's softmax overlaps the other's
// tensor-core work; for the others issuing freely measured faster
// (sm90Pingpong in tile_size.h). No wgmma may sit
// under a runtime branch or have its accumulator copied: ptxas would then
// serialize every wgmma (C7514); tools/devharness/run_sm90.sh checks.
//
// Arithmetic (docs/ARCHITECTURE.md): s = float(acc) * (q_scale * k_scale);
// FP8 P = e4m3(448 p) with the 448 folded into the exponent and into l; INT8
// P = rint(127 exp2(s - m_b)) with the per-row-per-block scale applied to the
// int32 product; 16-bit P = half(p).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_KERNEL_MAINLOOP_SM90_CUH
#define ATTNGEN_KERNEL_MAINLOOP_SM90_CUH

#include "attngen/arch/ptx_common.cuh"
#include "attngen/arch/wgmma_sm90.cuh"
#include "attngen/kernel/config.h"
#include "attngen/kernel/epilogue.cuh"
#include "attngen/kernel/exp2_poly.h"
#include "attngen/kernel/params.h"
#include "attngen/kernel/softmax.cuh"
#include "attngen/kernel/tile_size.h"
#include "attngen/mask/causal.cuh"
#include "attngen/mask/bias.cuh"
#include "attngen/mask/block_map.cuh"
#include "attngen/mask/score_mod.h"
#include "attngen/quant/prologue.cuh"
#include "attngen/quant/quant_math.h"
#include "attngen/quant/tile_image.h"

namespace attngen {
namespace sm90 {

/// Named barriers (16 in hardware): 1, 2 the pingpong's turns, 3 + cwg a
/// consumer warpgroup (Q image, O stage), kQGroupBarrier a block-wide Q group,
/// kQStaggerBarrier the staggered Q, kStagedBarrier + cwg a staged bias
/// (bias.cuh), kTileBarrier all consumer warpgroups at a tile's start.
constexpr int kQGroupBarrier = 6;
constexpr int kQStaggerBarrier = 7;
constexpr int kStagedBarrier = 8;
constexpr int kTileBarrier = 11;

/// Shapes and shared-memory layout derived from a Cfg.
template <class Cfg> struct Sm90Shape {
  static constexpr int D = Cfg::kHeadDim, BM = Cfg::kBlockM, BN = Cfg::kBlockN;
  static constexpr int kStages = Cfg::kStages;
  static constexpr bool kQkInt = Cfg::kQK == dt::I8;
  static constexpr bool kQk16 = Cfg::kQK == dt::F16 || Cfg::kQK == dt::BF16;
  static constexpr bool kPv8 = dtIs8Bit(Cfg::kPV);
  static constexpr bool kPvInt = Cfg::kPV == dt::I8;
  static constexpr bool kPvFp8 = Cfg::kPV == dt::E4M3;
  /// Key scales uniform over a block: one q_scale * k_scale per row.
  static constexpr bool kKScaleUniform =
      Cfg::kKGran == gran::Block || Cfg::kKGran == gran::Tensor || kQk16;

  static constexpr int kQkRowBytes = D * dtBits(Cfg::kQK) / 8;
  static constexpr int kQkPanel = tilePanelBytes(kQkRowBytes);
  /// One wgmma k-step reads 32 bytes of a row (k32 8-bit, k16 16-bit).
  static constexpr int kQkSteps = kQkRowBytes / 32;
  static constexpr int kVRows = kPv8 ? D : BN;
  static constexpr int kVRowBytes = kPv8 ? BN : 2 * D;
  static constexpr int kVPanel = tilePanelBytes(kVRowBytes);
  static constexpr int kPvSteps = kPv8 ? BN / 32 : BN / 16;

  static constexpr int kQBytes = BM * kQkRowBytes;
  static constexpr int kKBytes = BN * kQkRowBytes;
  /// One block's V image in global memory (and the bytes its copy moves).
  static constexpr int kVBytes = kVRows * kVRowBytes;
  /// FP8 P V sums the rows too (tile_size.h sm90RowSumRows): the slot holds
  /// 8 rows of e4m3 1.0 after the image, the PV wgmma is N = D + 8 wide.
  static constexpr int kRowSumRows = sm90RowSumRows(Cfg::kPV);
  static constexpr bool kRowSumMma = sm90RowSumMma(Cfg::kPV, ScoreMods<Cfg>::kHasSoftcap);
  static constexpr int kPvN = D + (kRowSumMma ? kRowSumRows : 0);
  /// FP8 P V as two wgmmas of D / 2 channels (tile_size.h sm90SplitPv).
  static constexpr bool kSplitPv = sm90SplitPv(D, Cfg::kWarps);
  static_assert(!kSplitPv || Cfg::kPV == dt::E4M3, "the split P V is FP8's");
  /// P's exponentials of the first kPolyGroups 8-column groups of a block
  /// run on the FMA pipe (exp2_poly.h; tile_size.h sm90PolyExpGroups).
  static constexpr int kPolyGroups = sm90PolyExpGroups(Cfg::kPV, ScoreMods<Cfg>::kHasSoftcap);
  static_assert(kPolyGroups >= 0 && kPolyGroups <= BN / 8, "poly exp groups");
  static constexpr int kVSlotRows = kVRows + kRowSumRows;
  static constexpr int kVSlotBytes = sm90VSlotBytes(D, Cfg::kPV, BN);
  static_assert(kVSlotBytes >= kVSlotRows * kVRowBytes && kVSlotBytes % 1024 == 0, "V slot");
  static constexpr int kScaleBytes = BN * 4;
  static constexpr int kOffK = kQBytes;
  static constexpr int kOffV = kOffK + kStages * kKBytes;
  static constexpr int kOffScale = kOffV + kStages * kVSlotBytes;
  static constexpr int kOffBar = kOffScale + kStages * kScaleBytes;
  // fullQ (unused since Q is quantized in place; kept: tile_size.h's layout),
  // fullK, fullV, empty.
  static constexpr int kBarriers = 1 + 3 * kStages;
  static constexpr int kSmemBytes = kOffBar + 8 * kBarriers + 1024; // + alignment slack

  /// Consumer warpgroups of 64 query rows (tile_size.h): 2, or 3 where
  /// sm90ThreeConsumersFit.
  static constexpr int kConsumerWgs = sm90ConsumerWarpgroups(Cfg::kWarps);
  static constexpr int kConsumerWarps = 4 * kConsumerWgs;
  static constexpr int kConsumerThreads = 128 * kConsumerWgs;
#ifndef AG_SM90_PINGPONG
#define AG_SM90_PINGPONG -1
#endif
  /// The consumer warpgroups alternate their GEMM issue (myTurn / otherTurn)
  /// where that measured faster (tile_size.h); AG_SM90_PINGPONG=0/1 forces it.
  static constexpr bool kPingpong =
      AG_SM90_PINGPONG < 0 ? sm90Pingpong(Cfg::kQK, Cfg::kPV) : AG_SM90_PINGPONG != 0;
  static_assert(sm90WarpLayout(BM, Cfg::kWarps) &&
                    (kConsumerWgs == 2 || sm90ThreeConsumersFit(D, Cfg::kQK, Cfg::kPV)),
                "wgmma mainloop: 1 producer + 2 consumer warpgroups, or 3 (tile_size.h)");
  static_assert(!kPingpong || kConsumerWgs == 2, "the pingpong's turns are for two");
  static_assert(kStagedBarrier + kConsumerWgs <= kTileBarrier, "named barriers overlap");
  static_assert(BN == 64 || BN == 128, "QK wgmma N must be 64 or 128");
  static_assert(wgmmaSupports(D, Cfg::kQK, Cfg::kPV),
                "wgmma mainloop: 8/16-bit QK and PV, head dim 64 or 128 (tile_size.h)");
  static_assert(kSmemBytes <= kSm90MaxSmemBytes, "shared memory over 227 KB: fewer stages");
  static_assert(Cfg::kQK == dt::I8 || Cfg::kQK == dt::E4M3 || kQk16,
                "wgmma QK operands are 8- or 16-bit");
  static_assert(!kQk16 || Cfg::kQK == Cfg::kPV || !dtIs8Bit(Cfg::kPV),
                "16-bit QK pairs with 16-bit PV");
  static_assert(kPv8 || Cfg::kPV == dt::F16 || Cfg::kPV == dt::BF16, "PV is 8- or 16-bit");
  static_assert(kSmemBytes == attentionSmemBytes(1, D, Cfg::kQK, Cfg::kPV, BM, BN, kStages),
                "tile_size.h must agree with the kernel's shared memory");
  /// CTAs loop over tiles (tile_size.h sm90Persistent), else one tile each.
  static constexpr bool kPersistent =
      sm90Persistent(Cfg::kPV, ScoreMods<Cfg>::kWindow, ScoreMods<Cfg>::kBiasRank > 0,
                     ScoreMods<Cfg>::kDenseBias,
                     ScoreMods<Cfg>::kHasSoftcap);
  /// ... and take them from params.tile_counter (tile_size.h sm90DynamicTiles).
  static constexpr bool kDynamicTiles = kPersistent && sm90DynamicTiles(Cfg::kCausal, BM);
};

/// The tiles of the persistent grid: CTA c runs one tile of each round of
/// gridDim.x tiles (ctaTile; the runtime launches min(tiles, resident CTAs)).
/// Query block fastest, then head, then batch, so the CTAs running together
/// share one head's K/V in L2. Causal: reversed within a head, so the blocks
/// with the most keys start first and the tail holds the short ones.
#ifndef AG_SM90_CAUSAL_REVERSE
#define AG_SM90_CAUSAL_REVERSE 1
#endif
struct TileCoord {
  int mBlk, h, b;
};
/// (At most 2^30: the runtime refuses larger problems, so tile + gridDim.x
/// stays an int.)
template <class Cfg> __device__ __forceinline__ int tileCount(const AttnParams &p) {
  return (p.seq_q_pad / Cfg::kBlockM) * p.heads_q * p.batch;
}
#ifndef AG_SM90_CAUSAL_SNAKE
#define AG_SM90_CAUSAL_SNAKE 1
#endif
/// The k-th tile of this CTA: round k of the grid's `grid` tiles. Causal
/// rounds snake (odd ones backwards), so a CTA that took a long query block
/// in one round takes a short one in the next; a plain stride hands every CTA
/// the same query block in every round whenever the grid is a multiple of the
/// query blocks per head (bench/NOTES.md W-2). AG_SM90_CAUSAL_SNAKE=0: the stride.
template <class Cfg> __device__ __forceinline__ int ctaTile(int k, int grid) {
  const int c = (int)blockIdx.x;
  return Cfg::kCausal && AG_SM90_CAUSAL_SNAKE && (k & 1) ? k * grid + (grid - 1 - c)
                                                         : k * grid + c;
}
/// The dynamic schedule's hand-over (Sm90Shape::kDynamicTiles): one thread
/// of the producer warpgroup (postTiles) takes each tile from
/// params.tile_counter (tiles in the static order, so the longest causal ones
/// go first and the shortest make the tail) and posts it in one of two slots;
/// the producer thread and the consumer warps read it and free the slot. Past
/// the last tile it posts a number >= tileCount, which ends every loop. (A
/// thread of its own keeps the atomic's latency off the copying thread, which
/// runs in 24 registers and keeps a few per-tile values on the stack anyway.)
struct TileSlots {
  unsigned long long full[2], empty[2];
  int tile[2];
};
__device__ __forceinline__ TileSlots &tileSlots() {
  __shared__ TileSlots slots;
  return slots;
}
template <class Cfg> __device__ __forceinline__ void postTiles(const AttnParams &p, int tiles) {
  TileSlots &s = tileSlots();
  for (int k = 0;; ++k) {
    const int slot = k & 1;
    Mbarrier::wait(&s.empty[slot], ((unsigned)(k >> 1) & 1u) ^ 1u);
    const int tile = atomicAdd(static_cast<int *>(p.tile_counter), 1);
    s.tile[slot] = tile;
    Mbarrier::arrive(&s.full[slot]);
    if (tile >= tiles)
      return;
  }
}
/// The CTA's k-th tile: its round robin tile, or the posted one. `kWarp`: the
/// caller is a whole consumer warp (its lane 0 frees the slot), else the
/// producer's one thread.
template <class Cfg, bool kWarp>
__device__ __forceinline__ int takeTile(int k, int grid) {
  if constexpr (!Sm90Shape<Cfg>::kDynamicTiles) {
    return ctaTile<Cfg>(k, grid);
  } else {
    TileSlots &s = tileSlots();
    const int slot = k & 1;
    Mbarrier::wait(&s.full[slot], (unsigned)(k >> 1) & 1u);
    const int tile = s.tile[slot];
    if constexpr (kWarp)
      __syncwarp();
    if (!kWarp || threadIdx.x % 32 == 0)
      Mbarrier::arrive(&s.empty[slot]);
    return tile;
  }
}
template <class Cfg> __device__ __forceinline__ TileCoord tileCoord(const AttnParams &p, int t) {
  constexpr bool kReverse = Cfg::kCausal && AG_SM90_CAUSAL_REVERSE;
  const unsigned qBlocks = (unsigned)p.seq_q_pad / Cfg::kBlockM;
  const unsigned m = (unsigned)t % qBlocks, rest = (unsigned)t / qBlocks;
  return TileCoord{kReverse ? (int)(qBlocks - 1 - m) : (int)m,
                   (int)(rest % (unsigned)p.heads_q), (int)(rest / (unsigned)p.heads_q)};
}

template <bool B> struct BoolConst {
  static constexpr bool value = B;
};

/// Descriptor of k-step `kk` of a K-major tile image with `rows` rows at
/// shared address `base`, starting at row `row0`. Built as one descriptor of
/// the image plus the k-step's byte offset / 16 in the start-address field
/// (addresses stay below 256 KB, so the field never carries), which leaves
/// the compiler one 64-bit add per k-step instead of rebuilding it.
template <int kRowBytes>
__device__ __forceinline__ unsigned long long kMajorDesc(unsigned base, int rows, int row0,
                                                         int kk) {
  constexpr int P = tilePanelBytes(kRowBytes);
  const int byte = 32 * kk;
  const unsigned long long desc0 = makeSmemDesc(base + row0 * P, P, 8 * P);
  return desc0 + (unsigned long long)(((byte / P) * rows * P + byte % P) >> 4);
}

/// The QK wgmma of a Cfg (SS, K-major) and its accumulator element type.
template <int kQK, int N> struct QkOp;
template <int N> struct QkOp<dt::I8, N> {
  using T = int;
  using Op = WgmmaSS_S8<N>;
};
template <int N> struct QkOp<dt::E4M3, N> {
  using T = float;
  using Op = WgmmaSS_E4M3<N>;
};
template <int N> struct QkOp<dt::F16, N> {
  using T = float;
  using Op = WgmmaSS_F16<N>;
};
template <int N> struct QkOp<dt::BF16, N> {
  using T = float;
  using Op = WgmmaSS_BF16<N>;
};

/// The PV wgmma (RS) of a Cfg and its accumulator element type.
template <int kPV, int N> struct PvOp;
template <int N> struct PvOp<dt::I8, N> {
  using T = int;
  using Op = WgmmaRS_S8<N>;
};
template <int N> struct PvOp<dt::E4M3, N> {
  using T = float;
  using Op = WgmmaRS_E4M3<N>;
};
template <int N> struct PvOp<dt::F16, N> {
  using T = float;
  using Op = WgmmaRS_F16<N>;
};
template <int N> struct PvOp<dt::BF16, N> {
  using T = float;
  using Op = WgmmaRS_BF16<N>;
};

/// Packs four fragment values as one 8-bit A register (x0 in the low byte).
template <int kPV>
__device__ __forceinline__ unsigned packP8(float x0, float x1, float x2, float x3) {
  if constexpr (kPV == dt::E4M3) {
    return packE4m3x4(x0, x1, x2, x3);
  } else {
    // x in [0, 127]: adding 1.5 * 2^23 leaves rint(x) in the low mantissa bits.
    const unsigned b0 = __float_as_uint(x0 + 12582912.f), b1 = __float_as_uint(x1 + 12582912.f);
    const unsigned b2 = __float_as_uint(x2 + 12582912.f), b3 = __float_as_uint(x3 + 12582912.f);
    return __byte_perm(__byte_perm(b0, b1, 0x0040), __byte_perm(b2, b3, 0x0040), 0x5410);
  }
}

/// Static shared memory of a Cfg's staged bias (0 without one); the struct of
/// the other kind is never instantiated.
template <class Cfg, int BN, int BM,
          int kKind = (ScoreMods<Cfg>::kBiasRank > 0 ? 1 : ScoreMods<Cfg>::kDenseBias ? 2 : 0)>
struct StagedBiasBytes {
  static constexpr int value = 0;
};
template <class Cfg, int BN, int BM> struct StagedBiasBytes<Cfg, BN, BM, 1> {
  static constexpr int value = LowRankImages<Cfg, BN, BM>::kBytes;
};
template <class Cfg, int BN, int BM> struct StagedBiasBytes<Cfg, BN, BM, 2> {
  static constexpr int value = DenseImages<Cfg, BN>::kBytes;
};

/// The consumer side of the kernel: one warpgroup's 64 query rows. A struct
/// (not lambdas) so that the per-block step can be a template (NVRTC accepts
/// no generic lambdas in device code) and its state stays in registers.
template <class Cfg> struct Sm90Consumer {
  using S = Sm90Shape<Cfg>;
  static constexpr int D = S::D, BM = S::BM, BN = S::BN, kStages = S::kStages;
  using QkT = typename QkOp<Cfg::kQK, BN>::T;
  using QkMmaOp = typename QkOp<Cfg::kQK, BN>::Op;
  using PvT = typename PvOp<Cfg::kPV, S::kPvN>::T;
  using PvMmaOp = typename PvOp<Cfg::kPV, S::kPvN>::Op;
  /// The split P V's halves: channels [0, D/2), then [D/2, D) and the row sums.
  using PvLoOp = typename PvOp<Cfg::kPV, D / 2>::Op;
  using PvHiOp = typename PvOp<Cfg::kPV, S::kPvN - D / 2>::Op;
  /// int8 QK: x = float bits of (acc + 1.5 * 2^23), i.e. float(acc) + kMagic,
  /// exact for |acc| < 2^22; the softmax subtracts kMagic before scaling.
  static constexpr float kMagic = S::kQkInt ? 12582912.f : 0.f;
  /// A bias from memory staged in (static) shared memory where it fits beside
  /// the plan's tiles; else read from global memory (bias.cuh's LowRankBias /
  /// DenseBias: slower, e.g. 16-bit PV at D = 128 leaves no room).
  static constexpr int kStagedBytes = StagedBiasBytes<Cfg, BN, BM>::value;
  /// (+1024: the static images are 1024-byte aligned, which may pad them.)
  static constexpr bool kStaged = S::kSmemBytes + kStagedBytes + 1024 <= kSm90MaxSmemBytes;
#ifndef AG_SM90_STAGE_O
#define AG_SM90_STAGE_O 1
#endif
  /// 16-bit O leaves through a shared-memory stage per warpgroup (epilogue.cuh
  /// storeOutputStaged; static shared memory beside the plan's layout and a
  /// staged bias, which has the first claim) where it fits (bench/NOTES.md
  /// E-5). AG_SM90_STAGE_O=0 turns it off.
  static constexpr int kOStageBytes = S::kConsumerWgs * 64 * kOStagePitch<D>;
  static constexpr bool kStageO =
      AG_SM90_STAGE_O != 0 && Cfg::kOut != dt::F32 &&
      S::kSmemBytes + (kStaged ? kStagedBytes + 1024 : 0) + kOStageBytes <= kSm90MaxSmemBytes;
  /// The next tile's bf16 / f16 Q rows, bulk-copied in by the producer while
  /// this tile runs (tile_size.h sm90QPrefetch), where static shared memory
  /// has room after a staged bias and the O stage; else the consumers load Q
  /// from global memory.
  static constexpr int kQStageBytes = BM * D * 2;
  static constexpr bool kQStage =
      S::kPersistent && sm90QPrefetch() &&
      S::kSmemBytes + (kStaged ? kStagedBytes + 1024 : 0) + (kStageO ? kOStageBytes : 0) +
              kQStageBytes + 256 <=
          kSm90MaxSmemBytes;
  struct QStage {
    alignas(128) unsigned char raw[kQStage ? kQStageBytes : 16]; ///< rows of 2 D bytes
    unsigned long long full;  ///< the copy landed (tx count)
    unsigned long long empty; ///< the consumer warps have read it
  };
  __device__ static __forceinline__ QStage &qStage() {
    __shared__ QStage stage;
    return stage;
  }
  static constexpr bool kLowRank = ScoreMods<Cfg>::kBiasRank > 0 && kStaged;
  static constexpr bool kDense = ScoreMods<Cfg>::kDenseBias && kStaged;
  /// The low-rank bias product: 16-bit SS wgmma in the input type.
  using BiasMmaOp = typename QkOp<Cfg::kIn == dt::F16 ? dt::F16 : dt::BF16, BN>::Op;

  const AttnParams &p;
  unsigned char *smem;
  unsigned long long *fullQ, *fullK, *fullV, *empty;
  const float *sKScale;
  // Sliding window (mask/score_mod.h): key blocks [nBegin, nEnd) are visited.
  KeyMask<Cfg::kCausal, BN, ScoreMods<Cfg>::kLeft, ScoreMods<Cfg>::kRight> mask;
  /// A dense bias's block map: blocks whose tile is all -inf are not visited
  /// (the producer walks the same sequence). Ring slots count visits.
  BlockMapRow<Cfg> visit;
  int b, h, m0, nBegin, nEnd, cwg, lane;
  float slopeL2; ///< ALiBi slope of head h times log2(e) (bias = alibi)
  /// Soft cap: s * q . mean(K) * log2(e) of the fragment rows (smooth_k), added
  /// back before the cap (it is not shift-invariant).
  float capOffset[2];
  int row[2];
  float qScale[2];
  unsigned sQ; ///< this warpgroup's first row in the Q image (shared address)
  float o[D / 2];
  float mRow[2], lRow[2];
  QkT acc[BN / 2];

  __device__ __forceinline__ Sm90Consumer(const AttnParams &params, unsigned char *smemBase,
                                          TileCoord tile)
      : p(params), smem(smemBase), mask(params.seq_q, kvSeqLen(params, tile.b)),
        visit(params, tile.b, tile.h, tile.mBlk) {
    unsigned long long *bars = reinterpret_cast<unsigned long long *>(smem + S::kOffBar);
    fullQ = bars;
    fullK = bars + 1;
    fullV = bars + 1 + kStages;
    empty = bars + 1 + 2 * kStages;
    sKScale = reinterpret_cast<const float *>(smem + S::kOffScale);
    b = tile.b, h = tile.h, m0 = tile.mBlk * BM, nEnd = mask.blockEnd(m0, BM);
    nBegin = mask.blockBegin(m0);
    slopeL2 = ScoreMods<Cfg>::kAlibi ? p.alibi_slopes[h] * kLog2e : 0.f;
    cwg = threadIdx.x / 128 - 1;
    lane = threadIdx.x % 32;
    const int warp = (threadIdx.x % 128) / 32;
    const int rowInTile = cwg * 64 + warp * 16 + lane / 4;
    row[0] = m0 + rowInTile;
    row[1] = m0 + rowInTile + 8;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      mRow[r] = kNegInfF;
      lRow[r] = 0.f;
    }
#pragma unroll
    for (int i = 0; i < D / 2; ++i)
      o[i] = 0.f;
#pragma unroll
    for (int i = 0; i < BN / 2; ++i)
      acc[i] = 0;
    // (Folding the warpgroup's rows in here keeps threadIdx out of the QK
    // issue: at 160 registers re-deriving it there spilled one register.)
    sQ = smemAddr(smem) + (unsigned)(cwg * 64 * S::kQkPanel);
  }

#ifndef AG_SM90_Q_STAGGER
#define AG_SM90_Q_STAGGER -1
#endif
  /// Warpgroup 1 quantizes its Q rows after warpgroup 0 (not with a block-wide
  /// Q group: that reduction needs both warpgroups at once), where that
  /// measured faster (tile_size.h sm90QStagger); AG_SM90_Q_STAGGER=0/1 forces it.
  static constexpr bool kQStagger =
      (AG_SM90_Q_STAGGER < 0 ? sm90QStagger(D) : AG_SM90_Q_STAGGER != 0) &&
      Cfg::kQGran != gran::Block && S::kConsumerWgs == 2;

  /// Q quantization inside the kernel (wgmma plans have no QuantQ prologue).
  /// Consumer warp w owns tile rows 16w..16w+15, the rows of its own wgmma
  /// fragments, so each warpgroup quantizes exactly the 64 rows its wgmmas
  /// read. Same arithmetic as quant_q (prologue.cuh): the kmeanDot order over
  /// 8-channel slices and a tree over the row's D/8 lanes, balance after the
  /// LSE correction, group amax, quantInvScale / quantScale; so the CPU
  /// emulation stays bit-identical. Sets qScale (times s*log2(e)) for this
  /// thread's fragment rows and writes q_kmean for the epilogue. When the
  /// caller provides q_quant (tests), the image and scales are also written
  /// there, as quant_q would. With the Q stage the rows come from shared
  /// memory (the producer's copy, phase `qPhase`), and each warp tells the
  /// producer when it has read them.
  __device__ __forceinline__ void quantizeQ(unsigned qPhase) {
    static_assert(!Cfg::kSmoothQ, "Q smoothing is not implemented");
    static_assert(Cfg::kQGran != gran::Tensor, "per-tensor Q scales are not offered");
    constexpr int kSlices = D / 8, kRpi = 32 / kSlices, kIters = 16 / kRpi;
    constexpr int kRowBytes = S::kQkRowBytes, kSliceBytes = dtBits(Cfg::kQK);
    constexpr bool k16 = S::kQk16;
    constexpr float kQMax = k16 ? 1.f : quantMax(Cfg::kQK);
    static_assert(32 % kSlices == 0 && 8 % kRpi == 0, "head dim 64 or 128");
    const int warpRow0 = cwg * 64 + ((threadIdx.x % 128) / 32) * 16;
    const int j = lane % kSlices, hkv = h / Cfg::kGqa;
    const agi64 qHead = (agi64)b * p.heads_q + h;
    const unsigned short *base = static_cast<const unsigned short *>(p.q);
    // All rows requested first (one load latency), as 16-bit words.
    U32x4 raw[kIters];
    float kMean[8], bal[8];
    if constexpr (kQStage) {
      // The channel statistics first: their latency runs under the wait.
      loadQChannelStats(kMean, bal, j, hkv);
      QStage &st = qStage();
      Mbarrier::wait(&st.full, qPhase);
#pragma unroll
      for (int it = 0; it < kIters; ++it) {
        const int r = warpRow0 + it * kRpi + lane / kSlices;
        raw[it] = *reinterpret_cast<const U32x4 *>(st.raw + r * (2 * D) + 16 * j);
      }
    } else {
      const bool vec = prologue::canVectorize(base, p.q_stride);
#pragma unroll
      for (int it = 0; it < kIters; ++it) {
        const int t = m0 + warpRow0 + it * kRpi + lane / kSlices;
        if (t < p.seq_q)
          raw[it] = prologue::loadRaw(base + prologue::rowOffset(p.q_stride, b, h, t), j, vec);
      }
    }
    // Staggered: warpgroup 1 computes after warpgroup 0 (its loads already in
    // flight), so warpgroup 0 reaches its first QK sooner and warpgroup 1's
    // quantization runs under it (both share the issue slots otherwise).
    if (kQStagger && cwg == 1)
      asm volatile("bar.sync %0, 256;" ::"n"(kQStaggerBarrier) : "memory");
    if constexpr (!kQStage)
      loadQChannelStats(kMean, bal, j, hkv);
    const bool dump = p.q_quant != nullptr;
    float x[kIters][8], amax[kIters], kmeanDot[kIters];
#pragma unroll
    for (int it = 0; it < kIters; ++it) {
      const int r = warpRow0 + it * kRpi + lane / kSlices, t = m0 + r;
      const float dot =
          prologue::qSliceKmeanDot<Cfg::kIn, kSlices>(x[it], raw[it], t < p.seq_q, kMean);
      kmeanDot[it] = Cfg::kSmoothK ? quantMul(dot, p.sm_scale) : 0.f;
      if (j == 0 && (Cfg::kLse || dump))
        p.q_kmean[qHead * p.seq_q_pad + t] = kmeanDot[it];
      if constexpr (Cfg::kBalance)
#pragma unroll
        for (int i = 0; i < 8; ++i)
          x[it][i] = quantMul(x[it][i], bal[i]);
      float a = 0.f;
#pragma unroll
      for (int i = 0; i < 8; ++i)
        a = quantMax2(a, quantAbs(x[it][i]));
      amax[it] = prologue::maxOverLanes<kSlices>(a);
    }
    // Group amax of each row (quantizeTile's groups; max is order-free).
    float g[kIters];
    if constexpr (Cfg::kQGran == gran::Token) {
#pragma unroll
      for (int it = 0; it < kIters; ++it)
        g[it] = amax[it];
    } else if constexpr (Cfg::kQGran == gran::Thread) {
      // Rows {i, i + 8} of the warp's 16: iterations it and it + 8 / kRpi.
      constexpr int kHalf = 8 / kRpi;
#pragma unroll
      for (int it = 0; it < kIters; ++it)
        g[it] = quantMax2(amax[it % kHalf], amax[it % kHalf + kHalf]);
    } else {
      static_assert(Cfg::kQGran == gran::Warp || Cfg::kQGran == gran::Block,
                    "unknown Q granularity");
      float m = 0.f;
#pragma unroll
      for (int it = 0; it < kIters; ++it)
        m = quantMax2(m, amax[it]);
#pragma unroll
      for (int w = 16; w >= kSlices; w /= 2)
        m = quantMax2(m, __shfl_xor_sync(0xffffffffu, m, w));
      if constexpr (Cfg::kQGran == gran::Block) {
        // The consumer warps meet in the (not yet written) Q image.
        float *sRed = reinterpret_cast<float *>(smem);
        if (lane == 0)
          sRed[warpRow0 / 16] = m;
        asm volatile("bar.sync %0, %1;" ::"n"(kQGroupBarrier), "n"(S::kConsumerThreads)
                     : "memory");
        m = 0.f;
#pragma unroll
        for (int w = 0; w < S::kConsumerWarps; ++w)
          m = quantMax2(m, sRed[w]);
        asm volatile("bar.sync %0, %1;" ::"n"(kQGroupBarrier), "n"(S::kConsumerThreads)
                     : "memory");
      }
#pragma unroll
      for (int it = 0; it < kIters; ++it)
        g[it] = m;
    }
    unsigned char *img = dump ? static_cast<unsigned char *>(p.q_quant) +
                                    (qHead * (p.seq_q_pad / BM) + m0 / BM) * (agi64)S::kQBytes
                              : nullptr;
    float scale[kIters];
#pragma unroll
    for (int it = 0; it < kIters; ++it) {
      const int r = warpRow0 + it * kRpi + lane / kSlices;
      const float inv = k16 ? 1.f : quantInvScale(g[it], kQMax);
      const int off = tileImageOffset(r, j * kSliceBytes, BM, kRowBytes);
      prologue::storeQuantSlice<Cfg::kQK>(smem + off, x[it], inv);
      scale[it] = k16 ? p.sm_scale_log2 : quantMul(quantScale(g[it], kQMax), p.sm_scale_log2);
      if (dump) {
        prologue::storeQuantSlice<Cfg::kQK>(img + off, x[it], inv);
        if (j == 0)
          p.q_scale[qHead * p.seq_q_pad + m0 + r] = scale[it];
      }
    }
    // Fragment rows lane/4 and lane/4 + 8 of the warp: both in lane
    // (lane/4 % kRpi) * kSlices of their iterations.
    const int src = ((lane / 4) % kRpi) * kSlices;
#pragma unroll
    for (int it = 0; it < kIters; ++it) {
      const float v = __shfl_sync(0xffffffffu, scale[it], src);
      if (it == (lane / 4) / kRpi)
        qScale[0] = v;
      if (it == (lane / 4 + 8) / kRpi)
        qScale[1] = v;
      if constexpr (ScoreMods<Cfg>::kHasSoftcap) {
        const float c = __shfl_sync(0xffffffffu, kmeanDot[it], src) * kLog2e;
        if (it == (lane / 4) / kRpi)
          capOffset[0] = c;
        if (it == (lane / 4 + 8) / kRpi)
          capOffset[1] = c;
      }
    }
    // Generic-proxy stores, then the async proxy (wgmma) of the warpgroup reads.
    fenceProxyAsyncShared();
    asm volatile("bar.sync %0, 128;" ::"r"(3 + cwg) : "memory");
    if (kQStagger && cwg == 0)
      asm volatile("bar.arrive %0, 256;" ::"n"(kQStaggerBarrier) : "memory");
    if constexpr (kQStage)
      if (lane == 0) // this warp's reads of the stage are done
        Mbarrier::arrive(&qStage().empty);
  }

  /// K's channel means and the balance factors of channels 8j..8j+7 (Q's
  /// quantization), from global memory.
  __device__ __forceinline__ void loadQChannelStats(float (&kMean)[8], float (&bal)[8], int j,
                                                    int hkv) const {
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const agi64 c = ((agi64)b * p.heads_kv + hkv) * D + 8 * j + i;
      kMean[i] = Cfg::kSmoothK ? p.k_mean[c] : 0.f;
      bal[i] = 1.f;
      if constexpr (Cfg::kBalance)
        bal[i] = p.qk_balance != nullptr ? p.qk_balance[c] : 1.f;
    }
  }

  /// Issues S = Q K^T for key block n into acc (asynchronous; the caller
  /// commits). The tied (+) form: acc is loop-carried, and a write-only form
  /// would let the compiler copy it between iterations, which serializes the
  /// wgmmas.
  __device__ __forceinline__ void issueQk(int it) {
    const int s = (unsigned)it % kStages; // `it`: the visit's index (>= 0; ring slots count visits)
    const unsigned sK = smemAddr(smem + S::kOffK + s * S::kKBytes);
    Mbarrier::wait(fullK + s, ((unsigned)it / kStages) & 1u);
    wgmmaFence(); // acc was last written by ordinary instructions
#pragma unroll
    for (int kk = 0; kk < S::kQkSteps; ++kk)
      QkMmaOp::run(acc, kMajorDesc<S::kQkRowBytes>(sQ, BM, 0, kk),
                   kMajorDesc<S::kQkRowBytes>(sK, BN, 0, kk), kk > 0);
  }

  // Pingpong: the two consumer warpgroups take turns issuing their tensor-core
  // work (named barriers 1 and 2), so one's softmax runs under the other's
  // GEMMs instead of both waiting on the tensor cores at once.
  __device__ __forceinline__ void myTurn() {
    if constexpr (S::kPingpong)
      asm volatile("bar.sync %0, 256;" ::"r"(1 + cwg) : "memory");
  }
  __device__ __forceinline__ void otherTurn() {
    if constexpr (S::kPingpong)
      asm volatile("bar.arrive %0, 256;" ::"r"(2 - cwg) : "memory");
  }

  /// One key block, the it-th visited: softmax of S(n), then O += P V and
  /// S(nNext) issued (nNext: the next visited block).
  template <bool kMasked, bool kHasNext>
  __device__ __forceinline__ void step(int n, int it, int nNext) {
    const int s = (unsigned)it % kStages;
    const unsigned phase = ((unsigned)it / kStages) & 1u;
    const unsigned sV = smemAddr(smem + S::kOffV + s * S::kVSlotBytes);

    float x[BN / 2];
    const float *ks = sKScale + s * BN;
#pragma unroll
    for (int i = 0; i < BN / 2; ++i) {
      if constexpr (S::kQkInt)
        x[i] = __int_as_float(acc[i] + 0x4B400000);
      else
        x[i] = acc[i];
      if constexpr (!S::kKScaleUniform) {
        // Per-token K: the column's scale here, the row's in the exponent's FMA
        // (two ops per score; (acc * k) * q rounds within an ulp of acc * (q * k)).
        const int col = 8 * (i / 4) + 2 * (lane % 4) + (i % 2);
        x[i] = (x[i] - kMagic) * ks[col];
      }
    }
    // Row scale of x (> 0, so the row max commutes with it and -inf stays -inf),
    // and the constant inside x (0 once the column scales are applied).
    float qk[2];
#pragma unroll
    for (int r = 0; r < 2; ++r)
      qk[r] = fmaxf(S::kKScaleUniform ? qScale[r] * ks[0] : qScale[r], kFltMin);
    float magic = S::kKScaleUniform ? kMagic : 0.f;
    if constexpr (ScoreMods<Cfg>::kAny) {
      // A modified score: s = float(acc) * scales, capped, plus a bias (exp2
      // domain), then the softmax below with unit scale and no constant.
      // The low-rank product (bias.cuh's staged factor images: A = the
      // warpgroup's qb rows, B = block n's kb tile) is issued first as its own
      // 16-bit wgmma into fresh fp32 accumulators (the registers the converted
      // QK accumulators just left) and runs under the scaling below.
      float bacc[kLowRank ? BN / 2 : 1];
      if constexpr (kLowRank) {
        using LR = LowRankImages<Cfg, BN, BM>;
        Staged<kStagedBarrier>::ready(cwg);
        const unsigned sA = LR::qbImage(), sB = LR::kbImage(cwg, it & 1);
        wgmmaFence();
        BiasMmaOp::init(bacc, kMajorDesc<LR::kRowBytes>(sA, BM, cwg * 64, 0),
                        kMajorDesc<LR::kRowBytes>(sB, BN, 0, 0));
#pragma unroll
        for (int kk = 1; kk < LR::kPitch / 16; ++kk)
          BiasMmaOp::run(bacc, kMajorDesc<LR::kRowBytes>(sA, BM, cwg * 64, kk),
                         kMajorDesc<LR::kRowBytes>(sB, BN, 0, kk), 1);
        wgmmaCommit();
        if constexpr (kHasNext) // the next block's kb, into the buffer just freed
          LR::stageK(p, b, h, nNext * BN, cwg, (it + 1) & 1, threadIdx.x % 128);
      }
      // ALiBi's term is -slope |i + diag - j|, with |i + diag - j| in float:
      // a per-row base minus the fragment's column offset, a compile-time
      // constant; both are integers below 2^24, so the subtraction is exact
      // and equals alibiDistance (two float ops per score instead of integer
      // arithmetic, an abs and a conversion: 987 -> 810 SASS instructions per
      // block for int8/fp8). INT8 PV keeps the integer form: there the float
      // one spills (3-6 LDL per block with LSE and GQA).
      float base[2] = {0.f, 0.f};
      if constexpr (!S::kPvInt && !ScoreMods<Cfg>::kAlibiColumns)
#pragma unroll
        for (int r = 0; r < 2; ++r)
          base[r] = (float)(row[r] + mask.diag - n * BN - 2 * (lane % 4));
      // Causal ALiBi as a column term (score_mod.h): key j - c0 of this thread's
      // columns is colBase + a compile-time offset (integers: exact in float).
      const float colBase = (float)(n * BN + 2 * (lane % 4) - (m0 + mask.diag));
#pragma unroll
      for (int i = 0; i < BN / 2; ++i) {
        const int r = (i % 4) / 2;
        if constexpr (ScoreMods<Cfg>::kAlibiColumns) {
          const float col = slopeL2 * (colBase + (float)(8 * (i / 4) + (i % 2)));
          x[i] = fmaf(x[i] - magic, qk[r], col);
          continue;
        }
        x[i] = (x[i] - magic) * qk[r];
        if constexpr (ScoreMods<Cfg>::kHasSoftcap) {
          // Gemma 2's cap, accurate tanhf as on mma.sync (score_mod.h).
          constexpr SoftcapL2 cap = softcapL2(ScoreMods<Cfg>::kSoftcap);
          x[i] = cap.cap * tanhf((x[i] + capOffset[r]) * cap.invCap);
        }
        if constexpr (ScoreMods<Cfg>::kAlibi) {
          float dist;
          if constexpr (S::kPvInt)
            dist = alibiDistance(row[r], n * BN + 8 * (i / 4) + 2 * (lane % 4) + (i % 2),
                                 mask.diag);
          else
            dist = fabsf(base[r] - (float)(8 * (i / 4) + (i % 2)));
          x[i] = fmaf(-slopeL2, dist, x[i]);
        }
      }
      // A bias from memory (bias.cuh): the low-rank product issued above, or
      // the dense table's tile staged one block ahead.
      if constexpr (kDense) {
        using DI = DenseImages<Cfg, BN>;
        Staged<kStagedBarrier>::ready(cwg);
        DI::template add<BN / 8>(x, row[0] - m0 - 64 * cwg, cwg, it & 1, lane);
        if constexpr (kHasNext) // the next block's tile, into the buffer just freed
          DI::stage(p, b, h, m0 + 64 * cwg, nNext * BN, cwg, (it + 1) & 1, threadIdx.x % 128);
      }
      if constexpr (kLowRank) {
        wgmmaWait<0>();
        fenceRegs(bacc);
#pragma unroll
        for (int i = 0; i < BN / 2; ++i)
          x[i] = fmaf(bacc[i], kLog2e, x[i]);
      }
      if constexpr (!kStaged) // no room to stage: read from global memory
        ScoreBias<Cfg>::template add<BN / 8>(x, p, b, h, row[0], n * BN, lane);
      qk[0] = qk[1] = 1.f;
      magic = 0.f;
    }
    if constexpr (kMasked) {
#pragma unroll
      for (int i = 0; i < BN / 2; ++i) {
        const int col = n * BN + 8 * (i / 4) + 2 * (lane % 4) + (i % 2);
        if (!mask.visible(row[(i % 4) / 2], col))
          x[i] = kNegInfF;
      }
    }

    // Online softmax: new row maxima, rescale factors, exponent offsets
    // (p = exp2((x - magic) * qk + bias)). The magic constant is not folded into
    // the bias: magic * qk rounds at ulp(1.26e7 qk), which on sharp heads shifts a
    // whole row-block's weight by up to 2% (FP8 / 16-bit P) or pushes P8 to 128,
    // int8 -128 (INT8 P); float(acc) = x - magic is exact, so p follows the
    // contract's arithmetic at the cost of one add per score.
    float bias[2], alpha[2], blockScale[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const float mBlock = (fragRowMax(x, r) - magic) * qk[r]; // qk > 0: max commutes
      const float mNew = fmaxf(mRow[r], mBlock);
      const float mUse = safeMax(mNew);
      alpha[r] = exp2Approx(mRow[r] - mUse);
      mRow[r] = mNew;
      if constexpr (S::kPvInt) {
        // INT8 P: exponent relative to the block's own max (per row per block);
        // at the max key it is then <= 2^-24 |m_b|, so P8 <= 127.
        bias[r] = -safeMax(mBlock);
        blockScale[r] = exp2Approx(mBlock - mUse);
      } else {
        bias[r] = (S::kPvFp8 ? kLog2Fp8Max : 0.f) - mUse;
        blockScale[r] = 1.f;
      }
    }
    float lBlock[2] = {0.f, 0.f};
#pragma unroll
    for (int i = 0; i < BN / 2; ++i) {
      const int r = (i % 4) / 2;
      // x - magic is float(acc) exactly (masked: -inf stays -inf).
      const float xs = x[i] - magic;
      const float e = fmaf(xs, qk[r], bias[r]);
      // Fragment value i is column 8 (i / 4) + 2 (lane % 4) + i % 2 of the block.
      x[i] = i / 4 < S::kPolyGroups ? exp2Poly(e) : exp2Approx(e);
      if constexpr (!S::kRowSumMma)
        lBlock[r] += x[i];
    }
    if constexpr (!S::kRowSumMma) {
#pragma unroll
      for (int r = 0; r < 2; ++r)
        lRow[r] = lRow[r] * alpha[r] + quadSum(lBlock[r]) * blockScale[r];
    }

    // P as the A fragments of the PV wgmma.
    constexpr int kSteps = S::kPvSteps;
    unsigned pa[kSteps][4];
    if constexpr (S::kPv8) {
      const float m8 = S::kPvInt ? 127.f : 1.f;
#pragma unroll
      for (int kk = 0; kk < kSteps; ++kk) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          const int j = 4 * kk + 2 * half;
#pragma unroll
          for (int r = 0; r < 2; ++r)
            pa[kk][2 * half + r] =
                packP8<Cfg::kPV>(x[4 * j + 2 * r] * m8, x[4 * j + 2 * r + 1] * m8,
                                 x[4 * (j + 1) + 2 * r] * m8, x[4 * (j + 1) + 2 * r + 1] * m8);
        }
      }
    } else {
#pragma unroll
      for (int kk = 0; kk < kSteps; ++kk) {
        pa[kk][0] = packHalf2<Cfg::kPV>(x[8 * kk + 0], x[8 * kk + 1]);
        pa[kk][1] = packHalf2<Cfg::kPV>(x[8 * kk + 2], x[8 * kk + 3]);
        pa[kk][2] = packHalf2<Cfg::kPV>(x[8 * kk + 4], x[8 * kk + 5]);
        pa[kk][3] = packHalf2<Cfg::kPV>(x[8 * kk + 6], x[8 * kk + 7]);
      }
      // 16-bit PV accumulates into O itself: rescale it before the wgmma.
#pragma unroll
      for (int i = 0; i < D / 2; ++i)
        o[i] *= alpha[(i % 4) / 2];
      fenceRegs(o);
    }

    // O += P V (fresh accumulator for 8-bit P), then S(n+1) = Q K^T.
    Mbarrier::wait(fullV + s, phase);
    if constexpr (S::kSplitPv) {
      splitPv<kHasNext>(pa, sV, s, alpha, it);
      return;
    }
    PvT ob[S::kPv8 ? S::kPvN / 2 : 1];
    (void)ob; // unused by 16-bit PV
    myTurn();
    wgmmaFence();
    if constexpr (S::kPv8) {
      issuePv8<PvMmaOp>(ob, pa, sV, 0);
    } else {
#pragma unroll
      for (int kk = 0; kk < kSteps; ++kk) {
        // MN-major V: 16 token rows per k-step, 64-channel panels BN rows apart.
        const unsigned long long desc =
            makeSmemDesc(sV, 128, 1024, BN * 128) + (unsigned long long)(kk * 16 * 128 / 16);
        PvMmaOp::run(o, pa[kk], desc, 1);
      }
    }
    if constexpr (kHasNext)
      issueQk(it + 1);
    wgmmaCommit();
    otherTurn();
    // Both GEMMs retire together: the other warpgroup's softmax runs meanwhile.
    wgmmaWait<0>();
    fenceRegs(acc);
    if constexpr (S::kPv8) {
      fenceRegs(ob);
    } else {
      fenceRegs(o);
    }
    if (lane == 0)
      Mbarrier::arrive(empty + s);
    if constexpr (S::kPvInt) {
#pragma unroll
      for (int i = 0; i < D / 2; ++i) {
        const int r = (i % 4) / 2;
        // o * alpha + float(ob) * blockScale / 127, float(ob) by the magic trick.
        const float sc = blockScale[r] * (1.f / 127.f);
        o[i] = fmaf(__int_as_float(ob[i] + 0x4B400000), sc,
                    fmaf(o[i], alpha[r], -12582912.f * sc));
      }
    } else if constexpr (S::kPv8) {
      foldPvFp8<0, D / 2>(ob, alpha);
    }
  }

  /// Issues an 8-bit P V into the fresh accumulator `ob` (not committed): P's
  /// fragments against the V slot at shared address sV from its row
  /// (channel) row0 on, N = 2 kN columns.
  template <class Op, int kN>
  __device__ __forceinline__ void issuePv8(PvT (&ob)[kN], const unsigned (&pa)[S::kPvSteps][4],
                                           unsigned sV, int row0) {
    constexpr int R = S::kVSlotRows;
    Op::init(ob, pa[0], kMajorDesc<S::kVRowBytes>(sV, R, row0, 0));
#pragma unroll
    for (int kk = 1; kk < S::kPvSteps; ++kk)
      Op::run(ob, pa[kk], kMajorDesc<S::kVRowBytes>(sV, R, row0, kk), 1);
  }

  /// FP8's two-level accumulation of one block's (retired) P V: O's
  /// registers [kFrom, kFrom + kCount) = o * alpha + ob; registers after
  /// those in ob, where present, are the row-sum columns (the slot's rows of
  /// e4m3 1.0): kCount and kCount + 2 hold this thread's rows l/4 and l/4 + 8.
  template <int kFrom, int kCount, int kN>
  __device__ __forceinline__ void foldPvFp8(const float (&ob)[kN], const float (&alpha)[2]) {
#pragma unroll
    for (int i = 0; i < kCount; ++i)
      o[kFrom + i] = fmaf(o[kFrom + i], alpha[(i % 4) / 2], ob[i]);
    if constexpr (S::kRowSumMma && kN > kCount) {
#pragma unroll
      for (int r = 0; r < 2; ++r)
        lRow[r] = fmaf(lRow[r], alpha[r], ob[kCount + 2 * r]);
    }
  }

  /// The split FP8 P V (S::kSplitPv): each half's wgmmas, retired and added
  /// into O (o * alpha + half, the two-level accumulation of one block as in
  /// step) before the next; then S(n + 1) = Q K^T, waited for. Only O, P and
  /// one half are live, never S with them.
  template <bool kHasNext>
  __device__ __forceinline__ void splitPv(const unsigned (&pa)[S::kPvSteps][4], unsigned sV,
                                          int s, const float (&alpha)[2], int it) {
    constexpr int kLo = D / 4; // O registers per half
    {
      float ob[kLo];
      wgmmaFence();
      issuePv8<PvLoOp>(ob, pa, sV, 0);
      wgmmaCommit();
      wgmmaWait<0>();
      fenceRegs(ob);
      foldPvFp8<0, kLo>(ob, alpha);
    }
    {
      float ob[(S::kPvN - D / 2) / 2]; // D / 2 channels and the row sums
      wgmmaFence();
      issuePv8<PvHiOp>(ob, pa, sV, D / 2);
      wgmmaCommit();
      wgmmaWait<0>();
      fenceRegs(ob);
      if (lane == 0)
        Mbarrier::arrive(empty + s);
      foldPvFp8<kLo, kLo>(ob, alpha);
    }
    if constexpr (kHasNext) {
      issueQk(it + 1);
      wgmmaCommit();
      wgmmaWait<0>();
      fenceRegs(acc);
    }
  }

  /// Runs this tile: `it0` visits of the CTA's earlier tiles, `qPhase` the Q
  /// stage's phase, `turnHeld` whether an earlier tile of the CTA left the
  /// pingpong's first turn to warpgroup 0 (its last otherTurn). Returns the
  /// visit count after this tile.
  __device__ __forceinline__ int run(int it0, unsigned qPhase, bool &turnHeld) {
    const int nFirst = visit.from(nBegin, nEnd); // nEnd: nothing to visit
    // Warpgroup 0 goes first; with the staggered Q, warpgroup 1 says so
    // before it waits for warpgroup 0's quantization. (Each tile leaves one
    // such arrival behind: warpgroup 1 gives the turn once more than it takes.)
    const bool giveTurn = !turnHeld && nFirst < nEnd && cwg == 1;
    if (kQStagger && giveTurn)
      otherTurn();
    quantizeQ(qPhase);
    if (nFirst < nEnd) {
      if (!kQStagger && giveTurn)
        otherTurn();
      turnHeld = true;
      myTurn();
      issueQk(it0);
      wgmmaCommit();
      otherTurn();
      if constexpr (kLowRank) { // this warpgroup's qb rows and the first kb tile
        using LR = LowRankImages<Cfg, BN, BM>;
        LR::stageQ(p, b, h, m0, cwg, threadIdx.x % 128);
        LR::stageK(p, b, h, nFirst * BN, cwg, it0 & 1, threadIdx.x % 128);
      }
      if constexpr (kDense) // this warpgroup's rows of the first block's table
        DenseImages<Cfg, BN>::stage(p, b, h, m0 + 64 * cwg, nFirst * BN, cwg, it0 & 1,
                                    threadIdx.x % 128);
      wgmmaWait<0>();
      fenceRegs(acc);
    }
    // Blocks before the first masked one run without any mask code; the last
    // block issues no next QK (static, so no wgmma sits under a branch).
    // A window's left edge: the blocks before the first unmasked one are masked.
    const int nPlain = mask.unmaskedEnd(m0) < nEnd ? mask.unmaskedEnd(m0) : nEnd;
    int n = nFirst, it = it0, next = visit.from(n + 1, nEnd);
    int nFirstPlain = 0;
    if constexpr (ScoreMods<Cfg>::kLeft >= 0) {
      nFirstPlain = mask.unmaskedBegin(m0, BM);
      for (; n < nFirstPlain && next < nEnd; n = next, next = visit.from(n + 1, nEnd), ++it)
        step<true, true>(n, it, next);
    }
    for (; n < nPlain && next < nEnd; n = next, next = visit.from(n + 1, nEnd), ++it)
      step<false, true>(n, it, next);
    for (; next < nEnd; n = next, next = visit.from(n + 1, nEnd), ++it)
      step<true, true>(n, it, next);
    if (n < nEnd) {
      if (n < nPlain && (ScoreMods<Cfg>::kLeft < 0 || n >= nFirstPlain))
        step<false, false>(n, it, nEnd);
      else
        step<true, false>(n, it, nEnd);
    }

    // The epilogue: O, then the LSE.
    bool staged = false;
    if constexpr (kStageO) {
      __shared__ alignas(16) unsigned char sO[S::kConsumerWgs][64 * kOStagePitch<D>]; // kOStageBytes
      if (prologue::canVectorize(p.o, p.o_stride)) {
        storeOutputStaged<Cfg>(p, o, lRow, row, b, h, lane, sO[cwg], m0 + 64 * cwg,
                               threadIdx.x % 128, 3 + cwg);
        staged = true;
      }
    }
    if (!staged)
      storeOutputFragment<Cfg>(p, o, lRow, row, b, h, lane);
    if constexpr (Cfg::kLse) {
      if (lane % 4 == 0) {
  #pragma unroll
        for (int r = 0; r < 2; ++r)
          storeLse<Cfg>(p, mRow[r], lRow[r], S::kPvFp8 ? kFp8Max : 1.f, row[r], b, h);
      }
    }
    return n < nEnd ? it + 1 : it;
  }
};

template <class Cfg> __device__ __forceinline__ void attention(const AttnParams &p) {
  using S = Sm90Shape<Cfg>;
  constexpr int D = S::D, BM = S::BM, BN = S::BN, kStages = S::kStages;

  extern __shared__ unsigned char smemRaw[];
  // Everything below is recomputed on each side of the warpgroup split, so
  // no value lives across setmaxnreg (the producer keeps only 24 registers).
  auto smemBase = [&]() {
    return smemRaw + ((1024u - (smemAddr(smemRaw) & 1023u)) & 1023u);
  };
  auto barrier = [&](int i) {
    return reinterpret_cast<unsigned long long *>(smemBase() + S::kOffBar) + i;
  };
  using Consumer = Sm90Consumer<Cfg>;
  if (threadIdx.x == 0) {
    Mbarrier::init(barrier(0), 1);
    for (int s = 0; s < kStages; ++s) {
      Mbarrier::init(barrier(1 + s), 1);
      Mbarrier::init(barrier(1 + kStages + s), 1);
      Mbarrier::init(barrier(1 + 2 * kStages + s), S::kConsumerWarps);
    }
    if constexpr (Consumer::kQStage) {
      Mbarrier::init(&Consumer::qStage().full, 1);
      Mbarrier::init(&Consumer::qStage().empty, S::kConsumerWarps);
    }
    if constexpr (S::kDynamicTiles)
      for (int i = 0; i < 2; ++i) {
        Mbarrier::init(&tileSlots().full[i], 1);
        Mbarrier::init(&tileSlots().empty[i], S::kConsumerWarps + 1);
      }
    fenceBarrierInit();
  }
  if constexpr (S::kRowSumMma) {
    // The row-sum rows of every V slot: e4m3 1.0 (0x38), written once (the
    // producer's copies fill only the image before them), then handed to the
    // async proxy that the PV wgmma reads through.
    constexpr int kChunks = S::kRowSumRows * S::kVRowBytes / 16;
    static_assert(kStages * kChunks <= 32 * Cfg::kWarps, "one 16-byte store per thread");
    if ((int)threadIdx.x < kStages * kChunks) {
      const int s = threadIdx.x / kChunks, c = threadIdx.x % kChunks;
      reinterpret_cast<uint4 *>(smemBase() + S::kOffV + s * S::kVSlotBytes +
                                S::kVRows * S::kVRowBytes)[c] =
          make_uint4(0x38383838u, 0x38383838u, 0x38383838u, 0x38383838u);
    }
    fenceProxyAsyncShared();
  }
  __syncthreads();
  const int warpGroup = threadIdx.x / 128;

  if (warpGroup == 0) {
    // ---- producer ---------------------------------------------------------
    setMaxNRegDec<sm90ProducerRegs()>();
    if (threadIdx.x == 0) {
      unsigned char *smem = smemBase();
      unsigned long long *fullK = barrier(1), *fullV = barrier(1 + kStages);
      unsigned long long *empty = barrier(1 + 2 * kStages);
      const int kvBlocks = p.seq_k_pad / BN;
      int it = 0; // visits over all of the CTA's tiles (ring slots count visits)
      unsigned qPhase = 0;
      const int grid = S::kPersistent ? (int)gridDim.x : tileCount<Cfg>(p);
      for (int k = 0, tile; (tile = takeTile<Cfg, false>(k, grid)) < tileCount<Cfg>(p);
           ++k, qPhase ^= 1u) {
        const TileCoord t = tileCoord<Cfg>(p, tile);
        if constexpr (Consumer::kQStage) {
          // This tile's Q rows (those below seq_q), once the consumers have
          // read the previous tile's.
          typename Consumer::QStage &st = Consumer::qStage();
          Mbarrier::wait(&st.empty, qPhase ^ 1u);
          const int m0 = t.mBlk * BM, rows = p.seq_q - m0 < BM ? p.seq_q - m0 : BM;
          const unsigned short *q = static_cast<const unsigned short *>(p.q) +
                                    prologue::rowOffset(p.q_stride, t.b, t.h, m0);
          Mbarrier::arriveExpectTx(&st.full, (unsigned)(rows * 2 * D));
          if (p.q_stride[2] == D) {
            BulkCopyG2S::run(st.raw, q, (unsigned)(rows * 2 * D), &st.full);
          } else {
            for (int r = 0; r < rows; ++r)
              BulkCopyG2S::run(st.raw + r * 2 * D, q + r * p.q_stride[2], 2 * D, &st.full);
          }
        }
        // The tile's key blocks [nBegin, nEnd) (the consumers' mask computes the same).
        const KeyMask<Cfg::kCausal, BN, ScoreMods<Cfg>::kLeft, ScoreMods<Cfg>::kRight> keys(
            p.seq_q, kvSeqLen(p, t.b));
        const int nBegin = keys.blockBegin(t.mBlk * BM), nEnd = keys.blockEnd(t.mBlk * BM, BM);
        const agi64 kvHead = (agi64)t.b * p.heads_kv + t.h / Cfg::kGqa;
        const unsigned char *kImg = static_cast<const unsigned char *>(p.k_quant) +
                                    kvHead * kvBlocks * (agi64)S::kKBytes;
        const unsigned char *vImg = static_cast<const unsigned char *>(p.v_quant) +
                                    kvHead * kvBlocks * (agi64)S::kVBytes;
        const float *kScale = p.k_scale + kvHead * p.seq_k_pad;
        // The blocks the consumers visit, in their order.
        const BlockMapRow<Cfg> visit(p, t.b, t.h, t.mBlk);
        for (int n = visit.from(nBegin, nEnd); n < nEnd; n = visit.from(n + 1, nEnd), ++it) {
          const int s = (unsigned)it % kStages;
          const unsigned phase = ((unsigned)it / kStages) & 1u;
          Mbarrier::wait(empty + s, phase ^ 1u);
          Mbarrier::arriveExpectTx(fullK + s, S::kKBytes + S::kScaleBytes);
          BulkCopyG2S::run(smem + S::kOffK + s * S::kKBytes, kImg + n * (agi64)S::kKBytes,
                           S::kKBytes, fullK + s);
          BulkCopyG2S::run(smem + S::kOffScale + s * S::kScaleBytes, kScale + n * BN,
                           S::kScaleBytes, fullK + s);
          Mbarrier::arriveExpectTx(fullV + s, S::kVBytes);
          BulkCopyG2S::run(smem + S::kOffV + s * S::kVSlotBytes, vImg + n * (agi64)S::kVBytes,
                           S::kVBytes, fullV + s);
        }
      }
    } else if (S::kDynamicTiles && threadIdx.x == 32) {
      postTiles<Cfg>(p, tileCount<Cfg>(p));
    }
    return;
  }

  // ---- consumers ------------------------------------------------------------
  setMaxNRegInc<sm90ConsumerRegs(Cfg::kWarps)>();
#ifndef AG_SM90_TILE_BARRIER
#define AG_SM90_TILE_BARRIER 0
#endif
  constexpr bool kTileBarrierNeeded = AG_SM90_TILE_BARRIER || S::kPingpong ||
                                      Consumer::kQStagger || Cfg::kQGran == gran::Block;
  int it = 0;
  unsigned qPhase = 0;
  bool turnHeld = false;
  auto runTile = [&](int tile) {
    it = Consumer(p, smemBase(), tileCoord<Cfg>(p, tile)).run(it, qPhase, turnHeld);
  };
  if constexpr (S::kPersistent) {
    for (int k = 0, tile; (tile = takeTile<Cfg, true>(k, (int)gridDim.x)) < tileCount<Cfg>(p);
         ++k, qPhase ^= 1u) {
      // The consumer warpgroups start each tile together where named barriers
      // pair them per tile (the staggered Q, a block-wide Q group, the
      // pingpong's turns); otherwise each goes on at its own pace, bounded by
      // the K/V ring (AG_SM90_TILE_BARRIER=1 forces the barrier).
      if (k > 0 && kTileBarrierNeeded)
        asm volatile("bar.sync %0, %1;" ::"n"(kTileBarrier), "n"(S::kConsumerThreads)
                     : "memory");
      runTile(tile);
    }
  } else {
    runTile(blockIdx.x); // the grid has one CTA per tile
  }
}

} // namespace sm90
} // namespace attngen

#endif // ATTNGEN_KERNEL_MAINLOOP_SM90_CUH
