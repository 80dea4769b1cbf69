//===- mainloop_sm80.cuh - The mma.sync attention mainloop (sm_80/89/90) --===//
//
// FA2-style: a CTA of W warps owns blockM = 16 W query rows of one (batch,
// head); each warp owns 16 rows; Q stays resident in shared memory. Key /
// value tiles (tile images, quant/tile_image.h) stream through a `stages`-deep
// cp.async pipeline; the images are already swizzled, so the copy is linear
// and every ldmatrix is free of bank conflicts. Per key block: S = Q K^T with
// mma.sync (s8 k32, s4 k64, e4m3 k32 or f16/bf16 k16: one 32-byte k-slice per
// instruction in every case), online softmax in exp2, P packed from the S
// accumulators in registers (8-bit PV relies on perm32 in V^T, 16-bit PV on
// the k16 A layout) and P V accumulated per block in a fresh accumulator that
// is added into the fp32 output (two-level accumulation).
//
// The arithmetic is the contract's (docs/ARCHITECTURE.md): s = float(acc) *
// (q_scale * k_scale); 8-bit FP8 P = e4m3(448 p); INT8 P per row per block.
// Score modifiers (mask/score_mod.h): the window bounds the key blocks
// visited (blocks outside it are skipped) and masks the edge blocks; a soft
// cap, ALiBi and a bias from memory (mask/bias.cuh) change s before
// the row max.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_KERNEL_MAINLOOP_SM80_CUH
#define ATTNGEN_KERNEL_MAINLOOP_SM80_CUH

#include "attngen/arch/mma_sm80.cuh"
#include "attngen/arch/ptx_common.cuh"
#include "attngen/kernel/config.h"
#include "attngen/kernel/epilogue.cuh"
#include "attngen/kernel/params.h"
#include "attngen/kernel/softmax.cuh"
#include "attngen/mask/causal.cuh"
#include "attngen/mask/bias.cuh"
#include "attngen/mask/block_map.cuh"
#include "attngen/mask/score_mod.h"
#include "attngen/quant/quant_math.h"
#include "attngen/quant/tile_image.h"

namespace attngen {
namespace sm80 {

/// Shapes derived from a Cfg.
template <class Cfg> struct Sm80Shape {
  static constexpr int D = Cfg::kHeadDim, BM = Cfg::kBlockM, BN = Cfg::kBlockN;
  static constexpr int kWarps = Cfg::kWarps, kThreads = 32 * kWarps, kStages = Cfg::kStages;
  static constexpr bool kQkInt = Cfg::kQK == dt::I8 || Cfg::kQK == dt::I4;
  static constexpr bool kPv8 = dtIs8Bit(Cfg::kPV);
  /// Bytes of one Q / K row in the tile image; a k-slice is 32 bytes.
  static constexpr int kQkRowBytes = D * dtBits(Cfg::kQK) / 8;
  static constexpr int kKSlices = kQkRowBytes / 32;
  /// V image: 8-bit PV stores V^T (D rows of BN bytes), 16-bit stores V.
  static constexpr int kVRows = kPv8 ? D : BN;
  static constexpr int kVRowBytes = kPv8 ? BN : 2 * D;
  static constexpr int kQImage = BM * kQkRowBytes;
  static constexpr int kKImage = BN * kQkRowBytes;
  static constexpr int kVImage = kVRows * kVRowBytes;
  static constexpr int kNT = BN / 8; ///< n-tiles of S per warp
  static constexpr int kDT = D / 8;  ///< n-tiles of O per warp

  static_assert(BM == 16 * kWarps, "mma.sync mainloop: 16 query rows per warp");
  static_assert(BN % 32 == 0 && D % 32 == 0 && kQkRowBytes % 32 == 0, "32-byte k-slices");
  static_assert(kStages >= 2 && kStages <= 4, "pipeline depth");
  static_assert(kQImage % 1024 == 0 && kKImage % 1024 == 0 && kVImage % 1024 == 0,
                "tile images keep their panels 1024-byte aligned");
  static_assert(Cfg::kQK != dt::E4M3 || kHasFp8Mma, "fp8 QK needs sm_89+");
  static_assert(Cfg::kPV != dt::E4M3 || kHasFp8Mma, "fp8 PV needs sm_89+");
  static_assert(Cfg::kPV != dt::I4, "4-bit PV is not supported");
  static_assert(127 + kStages * BN * 4 <= 1024,
                "alignment pad + K scales fit attentionSmemBytes' 1 KB slack");
  static_assert(!Cfg::kSmoothQ, "smooth_q is not implemented by the mma.sync mainloop");
};

/// Byte offset, inside a tile image of `Rows` rows of `RB` bytes, of the
/// 16-byte chunk at (row0 + r, byte) with row0 a multiple of 8 and r < 8:
/// tileImageOffset() with the row-dependent swizzle precomputed per lane.
template <int Rows, int RB> struct ImageAddr {
  static constexpr int P = tilePanelBytes(RB);
  int laneRow; ///< r * P
  int swz;     ///< the XOR of row r, in bytes
  __device__ explicit ImageAddr(int r)
      : laneRow(r * P), swz((((r * P) >> 7) & (P / 16 - 1)) << 4) {}
  __device__ int at(int row0, int byte) const {
    return (byte / P) * Rows * P + row0 * P + laneRow + ((byte % P) ^ swz);
  }
};

/// Copies `Bytes` (a tile image) to shared memory, 16 bytes per cp.async.
template <int Bytes, int Threads>
__device__ inline void copyImage(unsigned dst, const unsigned char *src, int tid) {
  static_assert(Bytes % (16 * Threads) == 0, "image copy: whole rounds of 16-byte chunks");
#pragma unroll
  for (int i = 0; i < Bytes / (16 * Threads); ++i) {
    const int off = 16 * (tid + i * Threads);
    CpAsync16::run(dst + off, src + off);
  }
}

template <bool kInt> struct AccOf { typedef int Type; };
template <> struct AccOf<false> { typedef float Type; };

/// One m16n8 mma over a 32-byte k-slice of operand type T. A primary
/// template (no explicit specializations) so that only the used type's mma is
/// instantiated: the fp8 one must not be on sm_80.
template <int T> struct QkMma {
  typedef typename AccOf<T == dt::I8 || T == dt::I4>::Type Acc;
  __device__ static void run(Acc (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    if constexpr (T == dt::I8)
      MmaS8::run(d, a, b0, b1);
    else if constexpr (T == dt::I4)
      MmaS4::run(d, a, b0, b1);
    else if constexpr (T == dt::E4M3)
      MmaE4M3<kHasFp8Mma || T != dt::E4M3>::run(d, a, b0, b1);
    else if constexpr (T == dt::BF16)
      MmaBF16::run(d, a, b0, b1);
    else
      MmaF16::run(d, a, b0, b1);
  }
};

__device__ inline float accToFloat(int a) { return smallIntToFloat(a); }
__device__ inline float accToFloat(float a) { return a; }

/// Packs four P values (already scaled to the 8-bit range) into one A register,
/// first value in the low byte.
template <int PV> __device__ inline unsigned packP8(float a, float b, float c, float d) {
  if constexpr (PV == dt::E4M3) {
    return packE4m3x4 < kHasFp8Mma || PV != dt::E4M3 > (a, b, c, d);
  } else {
    // INT8 P lies in [0, 127]: plain byte shifts, no sign handling.
    return (unsigned)__float2int_rn(a) | ((unsigned)__float2int_rn(b) << 8) |
           ((unsigned)__float2int_rn(c) << 16) | ((unsigned)__float2int_rn(d) << 24);
  }
}

} // namespace sm80

/// The attention kernel body on the mma.sync path. Grid (Nq_pad / blockM, Hq,
/// B), block 32 * kWarps threads, dynamic shared memory
/// attentionSmemBytes(0, ...).
template <class Cfg> __device__ void attention_sm80(const AttnParams &p) {
  using namespace sm80;
  typedef Sm80Shape<Cfg> S;
  constexpr int BM = S::BM, BN = S::BN, NT = S::kNT, DT = S::kDT;
  typedef typename QkMma<Cfg::kQK>::Acc QkAcc;

  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int g = lane / 4, q = lane % 4;
  const int mTile = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int hkv = h / Cfg::kGqa;
  const int m0 = mTile * BM;
  const int Nq = p.seq_q, Nk = kvSeqLen(p, b); // sequence b's keys

  // Key blocks this CTA visits, [nBegin, nEnd): causal (bottom-right) and a
  // window's right side stop after the block of the last visible key of the
  // last row; a window's left side starts at the first visible key of row m0.
  typedef ScoreMods<Cfg> Mods;
  const KeyMask<Cfg::kCausal, BN, Mods::kLeft, Mods::kRight> mask(Nq, Nk);
  const int diag = Nk - Nq; // query i sees key j iff mask.visible(i, j)
  const int nBegin = mask.blockBegin(m0);
  const int nEnd = mask.blockEnd(m0, BM);
  const int plainBegin = mask.unmaskedBegin(m0, BM), plainEnd = mask.unmaskedEnd(m0);
  const BlockMapRow<Cfg> visit(p, b, h, mTile);

  const agi64 bhq = (agi64)b * p.heads_q + h;
  const agi64 bhkv = (agi64)b * p.heads_kv + hkv;
  const int kTiles = p.seq_k_pad / BN;
  const int rowA = m0 + 16 * warp + g; // this thread's rows: rowA and rowA + 8

  float oAcc[DT][4];
  float rowMax[2], rowSum[2];
#pragma unroll
  for (int i = 0; i < DT; ++i)
    oAcc[i][0] = oAcc[i][1] = oAcc[i][2] = oAcc[i][3] = 0.f;
  rowMax[0] = rowMax[1] = kNegInfF;
  rowSum[0] = rowSum[1] = 0.f;

  if (nEnd > nBegin) {
    // The images' swizzle is applied in software (ImageAddr), so 128-byte
    // alignment (one bank period) keeps ldmatrix conflict-free; the rest of
    // attentionSmemBytes' 1 KB slack holds the per-stage K scales.
    extern __shared__ __align__(128) unsigned char smemRaw[];
    const unsigned pad = (128u - (smemAddr(smemRaw) & 127u)) & 127u;
    const unsigned sQ = smemAddr(smemRaw) + pad;
    const unsigned sK = sQ + S::kQImage;
    const unsigned sV = sK + S::kStages * S::kKImage;
    const unsigned sKsc = sV + S::kStages * S::kVImage;
    const float *kScaleSmem = reinterpret_cast<const float *>(smemRaw + pad + (sKsc - sQ));

    const unsigned char *qImg = static_cast<const unsigned char *>(p.q_quant) +
                                (bhq * (p.seq_q_pad / BM) + mTile) * (agi64)S::kQImage;
    const unsigned char *kImg =
        static_cast<const unsigned char *>(p.k_quant) + bhkv * kTiles * (agi64)S::kKImage;
    const unsigned char *vImg =
        static_cast<const unsigned char *>(p.v_quant) + bhkv * kTiles * (agi64)S::kVImage;
    const float *kScale = p.k_scale + bhkv * p.seq_k_pad;
    auto loadKv = [&](int block) {
      const int slot = block % S::kStages;
      copyImage<S::kKImage, S::kThreads>(sK + slot * S::kKImage, kImg + (agi64)block * S::kKImage,
                                         tid);
      copyImage<S::kVImage, S::kThreads>(sV + slot * S::kVImage, vImg + (agi64)block * S::kVImage,
                                         tid);
      // K scales ride with their tile: read from shared memory after QK, so
      // no registers wait on global loads across the mma loop.
      if (tid < BN / 4)
        CpAsync16::run(sKsc + slot * BN * 4 + 16 * tid, kScale + (agi64)block * BN + 4 * tid);
    };

    // Prologue: Q rides in the first group with key block 0.
    copyImage<S::kQImage, S::kThreads>(sQ, qImg, tid);
#pragma unroll
    for (int s = 0; s < S::kStages - 1; ++s) {
      if (nBegin + s < nEnd)
        loadKv(nBegin + s);
      CpAsyncCommit::run();
    }

    const float qScale0 = p.q_scale[bhq * p.seq_q_pad + rowA];
    const float qScale1 = p.q_scale[bhq * p.seq_q_pad + rowA + 8];
    // Score modifiers' per-row constants (unused, and so dropped, without them).
    float capOffset[2] = {0.f, 0.f};
    if constexpr (Mods::kHasSoftcap && Cfg::kSmoothK) {
      // The cap is not shift-invariant: add back s * q . mean(K) (log2 units).
      capOffset[0] = p.q_kmean[bhq * p.seq_q_pad + rowA] * kLog2e;
      capOffset[1] = p.q_kmean[bhq * p.seq_q_pad + rowA + 8] * kLog2e;
    }
    float slopeL2 = 0.f;
    if constexpr (Mods::kAlibi)
      slopeL2 = p.alibi_slopes[h] * kLog2e;
    constexpr SoftcapL2 cap = softcapL2(Mods::kHasSoftcap ? Mods::kSoftcap : 1.f);

    const int r8 = lane % 8, mat = lane / 8;
    const ImageAddr<BM, S::kQkRowBytes> qAddr(r8);
    const ImageAddr<BN, S::kQkRowBytes> kAddr(r8);
    const ImageAddr<S::kVRows, S::kVRowBytes> vAddr(r8);

    for (int n = nBegin; n < nEnd; ++n) {
      // Refill the slot that block n - 1 used (freed by the barrier below).
      if (n + S::kStages - 1 < nEnd)
        loadKv(n + S::kStages - 1);
      CpAsyncCommit::run();
      CpAsyncWait<S::kStages - 1>::run();
      __syncthreads();

      // A tile the dense bias's block map marks all -inf: its loads ran (the
      // ring stays in step), its arithmetic is skipped (block_map.cuh).
      if (!visit.visible(n))
        continue;
      const int slot = n % S::kStages;
      const unsigned sKs = sK + slot * S::kKImage, sVs = sV + slot * S::kVImage;

      // ---- S = Q K^T ------------------------------------------------------
      QkAcc sAcc[NT][4];
#pragma unroll
      for (int j = 0; j < NT; ++j)
        sAcc[j][0] = sAcc[j][1] = sAcc[j][2] = sAcc[j][3] = QkAcc(0);
#pragma unroll
      for (int ks = 0; ks < S::kKSlices; ++ks) {
        // Q stays in shared memory and is re-read per k-slice (as FA2 does by
        // default): holding all of it in registers costs 16-32 of them.
        // Matrices: (rows 0-7, bytes 0-15), (8-15, 0-15), (0-7, 16-31), (8-15, 16-31).
        unsigned qFrag[4];
        LdMatrixX4::run(qFrag, sQ + qAddr.at(16 * warp + (mat & 1) * 8, 32 * ks + (mat >> 1) * 16));
#pragma unroll
        for (int jp = 0; jp < NT / 2; ++jp) {
          // Matrices: (tokens 16jp+0-7, bytes 0-15), (same, 16-31), (+8-15, 0-15), (+8-15, 16-31).
          unsigned kf[4];
          LdMatrixX4::run(kf, sKs + kAddr.at(16 * jp + (mat >> 1) * 8, 32 * ks + (mat & 1) * 16));
          QkMma<Cfg::kQK>::run(sAcc[2 * jp], qFrag, kf[0], kf[1]);
          QkMma<Cfg::kQK>::run(sAcc[2 * jp + 1], qFrag, kf[2], kf[3]);
        }
      }

      // ---- scores, mask, online softmax -------------------------------------
      const int key0 = n * BN;
      // The keys each of this thread's two rows sees here: [keyLo, keyHi]
      // (every key of an unmasked block).
      const bool needMask = n < plainBegin || n >= plainEnd;
      int keyLo[2], keyHi[2];
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        keyLo[r] = needMask ? mask.firstKey(rowA + 8 * r) : key0;
        keyHi[r] = needMask ? mask.lastKey(rowA + 8 * r) : key0 + BN - 1;
      }
      float sc[NT][4];
      float blockMax[2] = {kNegInfF, kNegInfF};
#pragma unroll
      for (int j = 0; j < NT; ++j) {
        const int col = key0 + 8 * j + 2 * q;
        const float2 ks2 =
            *reinterpret_cast<const float2 *>(kScaleSmem + slot * BN + 8 * j + 2 * q);
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int row = rowA + 8 * (e / 2), key = col + (e % 2);
          const float scale = (e / 2 ? qScale1 : qScale0) * (e % 2 ? ks2.y : ks2.x);
          if constexpr (Mods::kAlibiColumns) {
            // Causal ALiBi as a column term (score_mod.h), c0 = m0 + diag.
            sc[j][e] = fmaf(accToFloat(sAcc[j][e]), scale, slopeL2 * (float)(key - m0 - diag));
            continue;
          }
          float s = accToFloat(sAcc[j][e]) * scale;
          if constexpr (Mods::kHasSoftcap)
            s = cap.cap * tanhf((s + capOffset[e / 2]) * cap.invCap);
          if constexpr (Mods::kAlibi)
            s = fmaf(-slopeL2, alibiDistance(row, key, diag), s);
          sc[j][e] = s;
        }
      }
      // A bias from memory: low-rank factors or a dense table (bias.cuh).
      ScoreBias<Cfg>::template add<NT>(&sc[0][0], p, b, h, rowA, key0, lane);
#pragma unroll
      for (int j = 0; j < NT; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int key = key0 + 8 * j + 2 * q + (e % 2);
          if (key < keyLo[e / 2] || key > keyHi[e / 2])
            sc[j][e] = kNegInfF;
          blockMax[e / 2] = fmaxf(blockMax[e / 2], sc[j][e]);
        }
      float ref[2], alpha[2], pScale[2];
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        blockMax[r] = quadMax(blockMax[r]);
        const float mNew = fmaxf(rowMax[r], blockMax[r]);
        // A row with no visible key so far keeps m = -inf; exponentiate
        // against 0 so that everything stays 0 rather than NaN.
        ref[r] = mNew == kNegInfF ? 0.f : mNew;
        alpha[r] = exp2Approx(rowMax[r] - ref[r]);
        rowMax[r] = mNew;
      }
      // P values, in the range the PV operand wants. `pScale` maps them back
      // into the fp32 accumulator's scale (times 1 / 448 for FP8 at the end).
      constexpr bool kPInt8 = Cfg::kPV == dt::I8;
      float bref[2];
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        // INT8 P is scaled per row per block by its own block max.
        bref[r] = kPInt8 ? (blockMax[r] == kNegInfF ? 0.f : blockMax[r]) : ref[r];
        // A row whose block is all masked contributes nothing (and must not
        // make 0 * exp2(large) = NaN).
        const float toGlobal = !kPInt8                   ? 1.f
                               : blockMax[r] == kNegInfF ? 0.f
                                                         : exp2Approx(bref[r] - ref[r]);
        pScale[r] = kPInt8 ? toGlobal * (1.f / kInt8Max) : 1.f;
        float sum = 0.f;
#pragma unroll
        for (int j = 0; j < NT; ++j) {
          const float p0 = exp2Approx(sc[j][2 * r] - bref[r]);
          const float p1 = exp2Approx(sc[j][2 * r + 1] - bref[r]);
          sum += p0 + p1;
          const float mul = Cfg::kPV == dt::E4M3 ? kFp8Max : kPInt8 ? kInt8Max : 1.f;
          sc[j][2 * r] = p0 * mul;
          sc[j][2 * r + 1] = p1 * mul;
        }
        rowSum[r] = rowSum[r] * alpha[r] + sum * toGlobal;
      }

      // ---- O = O * alpha + P V (fresh accumulator per block) ----------------
      if constexpr (S::kPv8) {
        constexpr int KC = BN / 32;
        unsigned pf[KC][4];
#pragma unroll
        for (int kc = 0; kc < KC; ++kc) {
          // perm32: columns {2q, 2q+1, 8+2q, 9+2q} of n-tiles 4kc, 4kc+1 are
          // A-columns 4q..4q+3; likewise n-tiles 4kc+2, 4kc+3 for +16.
          const int j = 4 * kc;
          pf[kc][0] = packP8<Cfg::kPV>(sc[j][0], sc[j][1], sc[j + 1][0], sc[j + 1][1]);
          pf[kc][1] = packP8<Cfg::kPV>(sc[j][2], sc[j][3], sc[j + 1][2], sc[j + 1][3]);
          pf[kc][2] = packP8<Cfg::kPV>(sc[j + 2][0], sc[j + 2][1], sc[j + 3][0], sc[j + 3][1]);
          pf[kc][3] = packP8<Cfg::kPV>(sc[j + 2][2], sc[j + 2][3], sc[j + 3][2], sc[j + 3][3]);
        }
        typedef typename QkMma<Cfg::kPV == dt::I8 ? dt::I8 : dt::E4M3>::Acc PvAcc;
#pragma unroll
        for (int cp = 0; cp < DT / 2; ++cp) {
          PvAcc acc[2][4];
#pragma unroll
          for (int t = 0; t < 2; ++t)
            acc[t][0] = acc[t][1] = acc[t][2] = acc[t][3] = PvAcc(0);
#pragma unroll
          for (int kc = 0; kc < KC; ++kc) {
            // V^T matrices: (channels 16cp+0-7, bytes 0-15), (same, 16-31), (+8-15, ...).
            unsigned vf[4];
            LdMatrixX4::run(vf, sVs + vAddr.at(16 * cp + (mat >> 1) * 8, 32 * kc + (mat & 1) * 16));
            QkMma<Cfg::kPV == dt::I8 ? dt::I8 : dt::E4M3>::run(acc[0], pf[kc], vf[0], vf[1]);
            QkMma<Cfg::kPV == dt::I8 ? dt::I8 : dt::E4M3>::run(acc[1], pf[kc], vf[2], vf[3]);
          }
#pragma unroll
          for (int t = 0; t < 2; ++t)
#pragma unroll
            for (int e = 0; e < 4; ++e)
              oAcc[2 * cp + t][e] =
                  oAcc[2 * cp + t][e] * alpha[e / 2] + accToFloat(acc[t][e]) * pScale[e / 2];
        }
      } else {
        constexpr int KC = BN / 16;
        unsigned pf[KC][4];
#pragma unroll
        for (int kc = 0; kc < KC; ++kc) {
          pf[kc][0] = packHalf2<Cfg::kPV>(sc[2 * kc][0], sc[2 * kc][1]);
          pf[kc][1] = packHalf2<Cfg::kPV>(sc[2 * kc][2], sc[2 * kc][3]);
          pf[kc][2] = packHalf2<Cfg::kPV>(sc[2 * kc + 1][0], sc[2 * kc + 1][1]);
          pf[kc][3] = packHalf2<Cfg::kPV>(sc[2 * kc + 1][2], sc[2 * kc + 1][3]);
        }
#pragma unroll
        for (int i = 0; i < DT; ++i)
#pragma unroll
          for (int e = 0; e < 4; ++e)
            oAcc[i][e] *= alpha[e / 2];
#pragma unroll
        for (int cp = 0; cp < DT / 2; ++cp) {
#pragma unroll
          for (int kc = 0; kc < KC; ++kc) {
            // V matrices, transposed: (tokens 16kc+0-7, channels 16cp+0-7),
            // (tokens +8-15, same), (tokens +0-7, channels +8-15), (+8-15, +8-15).
            unsigned vf[4];
            LdMatrixX4Trans::run(
                vf, sVs + vAddr.at(16 * kc + (mat & 1) * 8, 2 * (16 * cp + (mat >> 1) * 8)));
            QkMma<Cfg::kPV>::run(oAcc[2 * cp], pf[kc], vf[0], vf[1]);
            QkMma<Cfg::kPV>::run(oAcc[2 * cp + 1], pf[kc], vf[2], vf[3]);
          }
        }
      }
      __syncthreads(); // the slot of block n is refilled next iteration
    }
    CpAsyncWait<0>::run();
  }

  // ---- epilogue (epilogue.cuh): O = o / l * v_scale + v_mean; LSE ---------
  // FP8 P carries the factor 448 in o: l is passed in o's units.
  constexpr float lUnits = Cfg::kPV == dt::E4M3 ? kFp8Max : 1.f;
  float l[2];
  int rows[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l[r] = quadSum(rowSum[r]) * lUnits;
    rows[r] = rowA + 8 * r;
  }
  storeOutputFragment<Cfg>(p, reinterpret_cast<const float(&)[4 * DT]>(oAcc), l, rows, b, h, lane);
  if constexpr (Cfg::kLse) {
    if (q == 0) {
      storeLse<Cfg>(p, rowMax[0], l[0], lUnits, rows[0], b, h);
      storeLse<Cfg>(p, rowMax[1], l[1], lUnits, rows[1], b, h);
    }
  }
}

} // namespace attngen

#endif // ATTNGEN_KERNEL_MAINLOOP_SM80_CUH
