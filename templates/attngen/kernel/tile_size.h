//===- tile_size.h - Tile choice, shared by select-tiles and the templates -===//
//
// One constexpr function decides the attention kernel's tiles from the
// variant's shape-independent facts. The `attn-select-tiles` pass calls it on
// the host (unless the tuning database has an entry) and the templates
// static_assert against the same limits. Each branch carries its reason.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_KERNEL_TILE_SIZE_H
#define ATTNGEN_KERNEL_TILE_SIZE_H

#include "attngen/kernel/config.h"

namespace attngen {

struct TileChoice {
  int blockM, blockN, warps, stages;
};

/// mainloop: 0 = mma.sync (sm_80/89), 1 = wgmma (sm_90a).
/// Largest dynamic shared memory of one CTA on sm_90 (227 KB).
constexpr int kSm90MaxSmemBytes = 232448;

/// Whether the wgmma mainloop implements a variant: QK and PV operands 8- or
/// 16-bit (wgmma has no 4-bit), head dim 64 or 128. D = 256 is left to
/// mma.sync: with 8-bit PV the two-level accumulation would hold two m64n256
/// fp32 fragments (256 registers, over the 240 a consumer thread has), and
/// with 16-bit PV it compiles but spills (68 bytes) and is not yet measured.
/// The head dims the kernels implement at all: quant/prologue.cuh splits a
/// row into D / 8 slices over 256 threads in whole passes of 32 residues.
AG_HOST_DEVICE constexpr bool kernelHeadDim(int headDim) {
  return headDim == 64 || headDim == 128 || headDim == 256;
}
/// The head dims the wgmma mainloop runs (the others take mma.sync).
AG_HOST_DEVICE constexpr bool wgmmaHeadDim(int headDim) { return headDim == 64 || headDim == 128; }
AG_HOST_DEVICE constexpr bool wgmmaSupports(int headDim, int qk, int pv) {
  const bool qkOk = qk == dt::I8 || qk == dt::E4M3 || qk == dt::F16 || qk == dt::BF16;
  const bool pvOk = pv == dt::I8 || pv == dt::E4M3 || pv == dt::F16 || pv == dt::BF16;
  return qkOk && pvOk && wgmmaHeadDim(headDim);
}

AG_HOST_DEVICE constexpr int attentionSmemBytes(int mainloop, int headDim, int qk, int pv,
                                                int blockM, int blockN, int stages);

/// The wgmma mainloop's warpgroups: one producer and `warps / 4 - 1`
/// consumers of 64 query rows each (blockM = 64 consumers). Two consumers
/// (12 warps) or three (16 warps, blockM = 192, as FA3 runs head dim 64).
AG_HOST_DEVICE constexpr int sm90ConsumerWarpgroups(int warps) { return warps / 4 - 1; }
/// Whether (blockM, warps) is a warp layout of the wgmma mainloop: one
/// producer and two (12 warps, blockM 128) or three (16, 192) consumers.
AG_HOST_DEVICE constexpr bool sm90WarpLayout(int blockM, int warps) {
  return (warps == 12 || warps == 16) && blockM == 64 * sm90ConsumerWarpgroups(warps);
}
/// Registers per thread after setmaxnreg: the producer keeps 24 (setmaxnreg's
/// least), the consumers take what the 64K register file leaves, rounded
/// down to setmaxnreg's multiple of 8 (2 consumers: 240; 3: 160). The pool
/// setmaxnreg.inc draws from is what the CTA got at launch (2 consumers: 384
/// threads x 168 = 64512), so the producer must give back all it can: with 32
/// the consumers' 240 never came and the kernel hung (bench/NOTES.md L-1).
AG_HOST_DEVICE constexpr int sm90ProducerRegs() { return 24; }
AG_HOST_DEVICE constexpr int sm90ConsumerRegs(int warps) {
  return (65536 - 128 * sm90ProducerRegs()) / (128 * sm90ConsumerWarpgroups(warps)) / 8 * 8;
}
/// Whether the two consumer warpgroups of the wgmma mainloop take turns
/// issuing their GEMMs (named-barrier pingpong) or issue freely. Measured on
/// the H200 at D=128, N=16k, kernel only, same build otherwise (bench/NOTES.md,
/// round 5): without the turns FP8 PV is faster (int8/fp8 772 -> 806 TFLOPS,
/// causal 731 -> 780; fp8/fp8 causal 721 -> 727), and so is int8 QK with
/// 16-bit PV (592 -> 605); with them INT8 PV (579 -> 620) and 16-bit QK
/// (bf16/bf16 causal 570 -> 588) are faster.
AG_HOST_DEVICE constexpr bool sm90Pingpong(int qk, int pv) {
  const bool pv16 = pv == dt::F16 || pv == dt::BF16;
  return !(pv == dt::E4M3 || (qk == dt::I8 && pv16));
}

/// Whether three consumer warpgroups split the FP8 P V of a key block into
/// two wgmmas of D / 2 channels each (the second with the row-sum rows),
/// retired one after the other, and issue S(n + 1) only after both: then S,
/// the block's PV and P are never live together, and O + S fit 160
/// registers at D = 128 (bench/NOTES.md W-4).
AG_HOST_DEVICE constexpr bool sm90SplitPv(int headDim, int warps) {
  return headDim == 128 && warps == 16;
}
/// Whether the wgmma mainloop runs three consumer warpgroups for a variant:
/// only where the two-level accumulation fits 160 registers (S, P, O and the
/// block's PV: head dim 64, 8-bit QK and PV; head dim 128 with FP8 PV split
/// by sm90SplitPv) and the consumers issue freely (the pingpong's turns are
/// written for two).
AG_HOST_DEVICE constexpr bool sm90ThreeConsumersFit(int headDim, int qk, int pv) {
  return (headDim == 64 || (headDim == 128 && pv == dt::E4M3)) && dtIs8Bit(qk) &&
         dtIs8Bit(pv) && !sm90Pingpong(qk, pv);
}

/// `extras`: the kernel carries more than the plain softmax (a window, a soft
/// cap, ALiBi or a bias, FP32 O, or a block-wide Q group).
AG_HOST_DEVICE constexpr TileChoice selectTileSize(int mainloop, int headDim, int qk, int pv,
                                               bool causal, bool extras = false) {
  // wgmma: two consumer warpgroups of 64 query rows each (128 rows per CTA)
  // plus one producer warpgroup (12 warps); they take turns on the tensor
  // cores so one's softmax overlaps the other's GEMMs. blockN = 128 at
  // D <= 128 (64 at D = 256 keeps the S fragment at 32 registers). Three
  // stages: with two, the producer could refill a stage only after the PV of
  // the block two behind (measured on H200, i8/fp8 D=128 N=16k: 2 stages 765,
  // 3 stages 775, 4 stages 795 TFLOPS after later tuning, 791 at 3), so 3
  // unless that overflows shared memory (16-bit Q/K/V at D = 256), then 2.
  // mma.sync: 4 warps x 16 rows = 64 rows per CTA, blockN 64, as FA2 does on
  // sm_80/89 (register pressure of the S and O fragments bounds it).
  // Three consumer warpgroups (blockM = 192, 16 warps) where they fit
  // (sm90ThreeConsumersFit: D = 64, or D = 128 with the P V split; FP8 PV),
  // causal only with FP8 QK (below), never with extras (at 160 registers they spill: 36-532
  // bytes in ptxas at D = 64). Measured on an H100 (bench/NOTES.md W-1, W-2,
  // W-4; e2e, A/B in one call, N = 16k / 4k / 1k, H = 32, B*N = 16k): D = 64
  // fp8/fp8 0.90 / 0.96 / 1.00, int8/fp8 0.85 / 0.92 / 0.98 of the
  // two-consumer time; D = 128 fp8/fp8 0.90 / 0.92 / 0.98, int8/fp8 0.91 /
  // 0.95 / 0.97 (3 stages: then the Q stage does not fit, yet 3 beat 2 with
  // it, 0.94 / 0.93 / 1.00). Causal: with the snaking rounds fp8/fp8 1.12 /
  // 0.99 / 1.09 at D = 64 and 1.08 / 0.97 / 1.04 at D = 128 (the rounds do
  // not spread 192-row tiles evenly); with the tile counter (sm90DynamicTiles,
  // bench/NOTES.md L-1) D = 128 fp8/fp8 2.54-2.61 ms at 16k against 2.69-2.73
  // for 128-row tiles (0.95), 0.98-0.99 against 0.99-1.00 at 4k, 0.589 against
  // 0.567 at 1k (1152 rows for 1024: the tuning database's choice there): so
  // causal FP8 QK takes three too; at D = 64 bench.py measured fp8/fp8 causal
  // 2.082 / 0.760 / 0.461 ms against 2.234 / 0.782 / 0.448 (session 10's run).
  // Not int8 QK (its masked step spills a word at 160 registers; 2.94 against
  // 2.90 ms at 16k).
  if (mainloop != 1)
    return TileChoice{64, 64, 4, 2};
  if (!extras && sm90ThreeConsumersFit(headDim, qk, pv) && (!causal || qk == dt::E4M3))
    return TileChoice{192, 128, 16, 3};
  const int blockN = headDim <= 128 ? 128 : 64;
  const int stages =
      attentionSmemBytes(1, headDim, qk, pv, 128, blockN, 3) <= kSm90MaxSmemBytes ? 3 : 2;
  return TileChoice{128, blockN, 8 + 4, stages};
}

#ifndef AG_SM90_ROWSUM_MMA
#define AG_SM90_ROWSUM_MMA 1
#endif
/// The wgmma mainloop's FP8 P V also forms the softmax row sums: each V slot
/// carries 8 more K-major rows of e4m3 1.0 after its D channels, so the PV
/// wgmma (N = D + 8) returns sum_j P8[i][j] in its last 8 columns, which
/// replaces one FADD per score (bench/NOTES.md R-1). The row sum is then that
/// of the quantized P the numerator used (runtime/reference/Emulate.cpp,
/// EmulateOptions::quantizedRowSum). AG_SM90_ROWSUM_MMA=0 turns it off.
AG_HOST_DEVICE constexpr int sm90RowSumRows(int pv) {
  return pv == dt::E4M3 && AG_SM90_ROWSUM_MMA ? 8 : 0;
}
/// Whether the PV wgmma forms the row sums (kernel and emulation both ask):
/// not with a soft cap, whose tanhf leaves no room for the 4 more accumulator
/// registers (ptxas spills one; tests/nvrtc checks). Its slots keep the rows.
AG_HOST_DEVICE constexpr bool sm90RowSumMma(int pv, bool softcap) {
  return sm90RowSumRows(pv) > 0 && !softcap;
}

#ifndef AG_SM90_POLY_EXP
#define AG_SM90_POLY_EXP -1
#endif
/// Groups of 8 key columns (of blockN / 8 per block) whose softmax
/// exponentials the wgmma mainloop computes with exp2Poly (exp2_poly.h, on
/// the FMA pipe: 8 instructions) instead of MUFU.EX2. Off: measured slower
/// on an H100 (bench/NOTES.md X-1; fp8_fp8, e2e, AB_DEFINES arms, g = 1..4
/// against 0): D = 128 N=16k +1.7 / +2.3 / +0.3 / +5.6%, D = 64 +0.5 / +5.3 /
/// +4.6 / +3.8% (N=1k -1..-2% at D = 64). MUFU is not what bounds the softmax
/// (T-1: its phases are latency-bound chains). Only for 8-bit P, whose
/// rounding is far coarser than the cubic's 1e-4, and not with a soft cap;
/// the emulation asks too (EmulationOptions::polyExpColumns).
/// AG_SM90_POLY_EXP=g forces g groups.
AG_HOST_DEVICE constexpr int sm90PolyExpGroups(int pv, bool softcap) {
  if (!dtIs8Bit(pv) || softcap)
    return 0;
  return AG_SM90_POLY_EXP >= 0 ? AG_SM90_POLY_EXP : 0;
}

/// Bytes of one V slot of the wgmma mainloop: the block's image and the
/// row-sum rows, rounded up to the 1024 bytes of the swizzle pattern.
AG_HOST_DEVICE constexpr int sm90VSlotBytes(int headDim, int pv, int blockN) {
  return (blockN * (headDim + sm90RowSumRows(pv)) * dtBits(pv) / 8 + 1023) / 1024 * 1024;
}

/// Whether the wgmma mainloop's second consumer warpgroup quantizes its Q rows
/// after the first one's (a phase shift between the two). Measured on an H100
/// (bench/NOTES.md S-1; fp8_fp8, e2e, one binary, alternated): D = 64 was
/// faster with it (16k -3.1%, 4k -2.6%, 1k 0%), D = 128 within noise (-0.5%,
/// -0.3%, +0.9%); session 3 measured int8/fp8 D = 128 slower with it (+3% at
/// 16k). With the persistent grid (bench/NOTES.md G-3) D = 64 is faster
/// without it (16k -0.9%, 4k -1.9%, 1k -4.3%; its warpgroup-dependent barrier
/// in the tile loop also cost the ring index its uniform registers): off.
AG_HOST_DEVICE constexpr bool sm90QStagger(int /*headDim*/) { return false; }

/// Whether the persistent wgmma kernel's CTAs take their tiles from a counter
/// in global memory (in the static order, longest first where causal), each
/// CTA its next tile when it is done with one, instead of a round robin fixed
/// by the grid: causal tiles differ in length, and no static walk spreads
/// 192-row ones evenly (86 per head at N = 16k on 132 CTAs left the longest
/// CTA 26% above the mean). Measured on an H100 (bench/NOTES.md L-1, e2e, A/B
/// in one call, N = 16k / 4k / 1k): causal fp8/fp8 D = 128 at blockM 192
/// 0.88 / 1.03 / 1.00 of the snaking walk, int8/fp8 0.90 / 1.03 / 1.00; at
/// blockM 128, whose snake is within 3% of even, 1.014 / 1.01 / 1.006: so
/// causal 192-row tiles only. AG_SM90_DYNAMIC_TILES=0/1 forces it either way.
#ifndef AG_SM90_DYNAMIC_TILES
#define AG_SM90_DYNAMIC_TILES -1
#endif
AG_HOST_DEVICE constexpr bool sm90DynamicTiles(bool causal, int blockM) {
  return AG_SM90_DYNAMIC_TILES < 0 ? causal && blockM == 192 : AG_SM90_DYNAMIC_TILES != 0;
}

/// Whether the wgmma kernel is persistent: its CTAs loop over the tiles
/// (bench/NOTES.md G-1), the next tile's Q and K/V loaded under the current
/// one's last blocks and epilogue. Not where the loop makes ptxas spill (the
/// values it keeps for the next tile meet the last block's and the epilogue's
/// peak; tests/nvrtc's no-spill check): a dense bias, 16-bit PV with a window
/// or a low-rank bias, INT8 PV with a bias from memory or a soft cap. Those
/// run one tile per CTA. The runtime reads the choice from the module
/// (attngen_persistent), so host and kernel cannot disagree.
/// AG_SM90_PERSISTENT=0 turns it off everywhere (A/B).
#ifndef AG_SM90_PERSISTENT
#define AG_SM90_PERSISTENT 1
#endif
AG_HOST_DEVICE constexpr bool sm90Persistent(int pv, bool window, bool lowRank, bool dense,
                                             bool softcap) {
  if (dense || !AG_SM90_PERSISTENT)
    return false;
  if (!dtIs8Bit(pv))
    return !(window || lowRank);
  if (pv == dt::I8)
    return !(lowRank || softcap);
  return true;
}

#ifndef AG_SM90_Q_PREFETCH
#define AG_SM90_Q_PREFETCH 1
#endif
/// Whether the persistent wgmma kernel's producer copies the next tile's
/// 16-bit Q rows into a shared stage (the consumers quantize from there, not
/// from global memory). Measured on an H100 (e2e, A/B arms in one call, N =
/// 16k / 4k / 1k): D = 128 fp8/fp8 -5 / -8 / -17% against one CTA per tile,
/// int8/fp8 causal 0 / -6 / -11% (bench/NOTES.md G-1); D = 64 fp8/fp8, with
/// the Q stagger off, -11 / -8 / -5% against the persistent kernel without it
/// (G-4; it was slower only while the stagger was on). So wherever shared
/// memory fits. AG_SM90_Q_PREFETCH=0/1 forces it off / on (where it fits).
AG_HOST_DEVICE constexpr bool sm90QPrefetch() { return AG_SM90_Q_PREFETCH != 0; }

/// Dynamic shared memory of the attention kernel.
/// mma.sync: the Q tile, `stages` K and V tiles (tile images, 1024-byte
/// aligned panels), and 1 KB for alignment slack and mbarriers.
/// wgmma (kernel/mainloop_sm90.cuh, Sm90Shape): the Q image, `stages` K and V
/// images (FP8 V with the row-sum rows of sm90RowSumRows) plus the block's K
/// scales (blockN floats, moved with K), one full mbarrier for Q, full K /
/// full V / empty per stage (8 bytes each), and 1 KB to align the base to the
/// 1024 bytes the 128B swizzle needs.
AG_HOST_DEVICE constexpr int attentionSmemBytes(int mainloop, int headDim, int qk, int pv,
                                                int blockM, int blockN, int stages) {
  return mainloop == 1
             ? blockM * headDim * dtBits(qk) / 8 +
                   stages * (blockN * headDim * dtBits(qk) / 8 +
                             sm90VSlotBytes(headDim, pv, blockN) + blockN * 4) +
                   8 * (1 + 3 * stages) + 1024
             : blockM * headDim * dtBits(qk) / 8 +
                   stages * (blockN * headDim * dtBits(qk) / 8 +
                             blockN * headDim * dtBits(pv) / 8) +
                   1024;
}

/// CTAs per SM QuantKV's registers are capped for (its __launch_bounds__):
/// a memory-bound kernel wants many resident. At D = 128 with the V rows
/// prefetched into shared memory ptxas takes 69 registers uncapped (3 CTAs
/// of 256 threads per SM), 64 with no spill for 4. Measured on an H100
/// (bench/NOTES.md Q-2, e2e, 3 rounds): 4 against uncapped -4 / -1 / 0% at
/// N = 16k / 4k / 1k for fp8_fp8_d128, -0.3 / -1 / -1% at D = 64: 4 there.
/// Not measured at D = 256 (where 64 registers spill with INT8 PV on sm_80,
/// and shared memory allows 2 CTAs on sm_86 / 89 anyway): uncapped (1).
/// AG_QUANT_KV_MIN_CTAS sets it for every head dim (A/B).
#ifndef AG_QUANT_KV_MIN_CTAS
#define AG_QUANT_KV_MIN_CTAS 0
#endif
AG_HOST_DEVICE constexpr int quantKvMinCtas(int headDim) {
  return AG_QUANT_KV_MIN_CTAS > 0 ? AG_QUANT_KV_MIN_CTAS : headDim <= 128 ? 4 : 1;
}

} // namespace attngen

#endif // ATTNGEN_KERNEL_TILE_SIZE_H
