//===- score_mod.h - Sliding window, soft cap and ALiBi of one variant ----===//
//
// Host and device (the CPU emulation includes it, so both sides read one
// definition). Only builtin types: NVRTC compiles it without std headers.
//
// A generated Cfg declares the modifiers it uses and nothing else, so the
// code of a variant without them is unchanged:
//   static constexpr int kWindowLeft, kWindowRight;  // -1: unbounded side
//   static constexpr float kSoftcap;                 // natural-log units
//   static constexpr bool kAlibi;                    // slopes in AttnParams
//   static constexpr int kBiasRank;                  // lowrank(R): factors in
//                                                    // AttnParams (bias.cuh)
//   static constexpr bool kDenseBias;                // a bias table in AttnParams
// ScoreMods<Cfg> reads them with defaults (absent = off).
//
// Scores in the kernel are in the exp2 domain: s = log2(e) * sm_scale * q.k.
// The modified score, in natural-log units, is
//   z = softcap * tanh(sm_scale * q.k / softcap) - slope_h * |i + Nk - Nq - j|
// (cap first, then the bias, as Gemma 2 caps before its mask), so in log2:
//   s' = capL2 * tanh(s * invCapL2) - slopeL2 * |i + diag - j|,
//   capL2 = softcap * log2(e), invCapL2 = 1 / capL2, slopeL2 = slope * log2(e).
// The soft cap is not shift-invariant, so with K smoothing the row offset
// q_kmean_i (s * q . mean(K)) is added back before the cap and the LSE then
// takes no correction.
//
// ALiBi where every visible key is at or left of the diagonal (causal, or a
// window with right = 0) and there is no cap: for visible j, -slope |i + diag -
// j| = slope (j - c0) - slope (i + diag - c0) with c0 = m0 + diag (m0 the
// first row of the query tile). The second term is constant over the row, so
// softmax drops it: the kernels add the column term alone,
//   s' = fma(float(acc), q_scale * k_scale, slopeL2 * float(j - c0)),
// (one FFMA per score, the column terms shared by a thread's two rows) and
// the LSE gets the row term back: lse += -slopeL2 * (i - m0) * ln 2. Near the
// diagonal |j - c0| < blockM, so the scores that matter keep full precision.
// Otherwise (symmetric ALiBi, or with a cap) the term is exact per element:
// s' = fma(-slopeL2, |i + diag - j|, s).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_MASK_SCORE_MOD_H
#define ATTNGEN_MASK_SCORE_MOD_H

#include "attngen/kernel/config.h"
#include "attngen/quant/quant_math.h"

namespace attngen {

namespace detail {
template <class T> struct VoidOf { typedef void Type; };
template <class Cfg, class = void> struct WindowLeftOf { static constexpr int value = -1; };
template <class Cfg>
struct WindowLeftOf<Cfg, typename VoidOf<decltype(Cfg::kWindowLeft)>::Type> {
  static constexpr int value = Cfg::kWindowLeft;
};
template <class Cfg, class = void> struct WindowRightOf { static constexpr int value = -1; };
template <class Cfg>
struct WindowRightOf<Cfg, typename VoidOf<decltype(Cfg::kWindowRight)>::Type> {
  static constexpr int value = Cfg::kWindowRight;
};
template <class Cfg, class = void> struct SoftcapOf { static constexpr float value = 0.f; };
template <class Cfg> struct SoftcapOf<Cfg, typename VoidOf<decltype(Cfg::kSoftcap)>::Type> {
  static constexpr float value = Cfg::kSoftcap;
};
template <class Cfg, class = void> struct AlibiOf { static constexpr bool value = false; };
template <class Cfg> struct AlibiOf<Cfg, typename VoidOf<decltype(Cfg::kAlibi)>::Type> {
  static constexpr bool value = Cfg::kAlibi;
};
template <class Cfg, class = void> struct BiasRankOf { static constexpr int value = 0; };
template <class Cfg> struct BiasRankOf<Cfg, typename VoidOf<decltype(Cfg::kBiasRank)>::Type> {
  static constexpr int value = Cfg::kBiasRank;
};
template <class Cfg, class = void> struct DenseBiasOf { static constexpr bool value = false; };
template <class Cfg> struct DenseBiasOf<Cfg, typename VoidOf<decltype(Cfg::kDenseBias)>::Type> {
  static constexpr bool value = Cfg::kDenseBias;
};
} // namespace detail

/// The soft cap's constants in the exp2 domain, computed once in float so
/// that the kernel (compile time) and the emulation (run time) agree.
struct SoftcapL2 {
  float cap;    ///< softcap * log2(e)
  float invCap; ///< 1 / cap
};
AG_HOST_DEVICE constexpr SoftcapL2 softcapL2(float softcap) {
  return SoftcapL2{softcap * kLog2e, 1.f / (softcap * kLog2e)};
}

/// ALiBi distance of query i from key j, bottom-right aligned: |i + diag - j|.
AG_HOST_DEVICE inline float alibiDistance(int i, int j, int diag) {
  const int d = i + diag - j;
  return (float)(d < 0 ? -d : d);
}

/// The modifiers of one Cfg. kRight is the effective right side (0 when causal).
template <class Cfg> struct ScoreMods {
  static constexpr int kLeft = detail::WindowLeftOf<Cfg>::value;
  static constexpr int kRight = Cfg::kCausal ? 0 : detail::WindowRightOf<Cfg>::value;
  /// A sliding window on either side (a causal mask alone is none).
  static constexpr bool kWindow = kLeft >= 0 || detail::WindowRightOf<Cfg>::value >= 0;
  static constexpr float kSoftcap = detail::SoftcapOf<Cfg>::value;
  static constexpr bool kHasSoftcap = kSoftcap > 0.f;
  static constexpr bool kAlibi = detail::AlibiOf<Cfg>::value;
  static constexpr int kBiasRank = detail::BiasRankOf<Cfg>::value; ///< 0: no low-rank bias
  static constexpr bool kDenseBias = detail::DenseBiasOf<Cfg>::value;
  /// Whether scores change beyond masking (the kernel forms s before the max).
  static constexpr bool kAny = kHasSoftcap || kAlibi || kBiasRank > 0 || kDenseBias;
  /// ALiBi as a column term (above): every visible key left of the diagonal, no cap.
  static constexpr bool kAlibiColumns = kAlibi && kRight == 0 && !kHasSoftcap;
};

/// The LSE's share of the column form of ALiBi for row i of a query tile of
/// blockM rows: the dropped row term -slopeL2 * (i mod blockM), in natural-log
/// units (slopeL2 = slope * log2(e)).
AG_HOST_DEVICE inline float alibiRowTerm(float slopeL2, int i, int blockM) {
  return quantMul(quantMul(-slopeL2, (float)(i % blockM)), kLn2);
}

} // namespace attngen

#endif // ATTNGEN_MASK_SCORE_MOD_H
