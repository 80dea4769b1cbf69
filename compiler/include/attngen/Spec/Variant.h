//===- Variant.h - The description of one attention variant -----*- C++ -*-===//
//
// A Variant is what a user asks for: the precision of the two matmuls, how Q,
// K and V are quantized, the mask, the head dim and the memory layout. It is
// the MLIR-free contract between the frontend (DSL text or C++ builder), the
// `attn` dialect (MLIRGen builds an `attn.attention` op from it), the CPU
// reference (which emulates its arithmetic) and the runtime (which keys
// caches on its canonical text).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_SPEC_VARIANT_H
#define ATTNGEN_SPEC_VARIANT_H

#include <optional>
#include <string>
#include <string_view>

namespace attngen {

/// Element types that appear in a variant. I4/I8 are symmetric signed
/// integers, E4M3 is FP8 e4m3fn (max 448).
enum class DType { I4, I8, E4M3, F16, BF16, F32 };

/// Quantization granularity: how many elements share one scale.
///  - Tensor: one scale per (batch, head) slice.
///  - Block:  one per tile of rows (BlockM query rows / BlockN key tokens).
///  - Warp:   one per 16-row group of a tile (the mma row group of a warp).
///  - Thread: one per group of rows that one thread's mma fragment covers.
///  - Token:  one per row.
///  - Channel: (V only) one per head-dim channel, over all tokens.
enum class Granularity { Tensor, Block, Warp, Thread, Token, Channel };

enum class MaskKind { None, Causal };

/// A bias added to the scores (docs/DSL.md "Score modifiers"), in
/// natural-log units after the soft cap. Alibi: -slope_h * |i + Nk - Nq - j|,
/// generated in the kernel from per-head slopes given at launch. LowRank:
/// qb_i . kb_j from factors qb [B, Hq, Nq, R] and kb [B, Hq, Nk, R] in the
/// input type, given at launch (FlashBias), kept out of Q/K's quantization.
/// Dense: a table [B, Hq, Nq, Nk] in the input type given at launch (-inf
/// entries mask: a boolean mask is a dense bias of 0 / -inf).
enum class BiasKind { None, Alibi, LowRank, Dense };

/// The largest rank of a low-rank bias (four k16 chunks of the bias mma).
inline constexpr int kMaxBiasRank = 64;

/// bhnd: [batch, heads, tokens, head_dim]; bnhd: [batch, tokens, heads, head_dim].
enum class Layout { BHND, BNHD };

struct Variant {
  std::string name = "default";

  DType qk = DType::I8;   ///< operand type of Q K^T
  DType pv = DType::BF16; ///< operand type of P V (see examples/default.attn for why)

  Granularity q_granularity = Granularity::Warp;
  Granularity k_granularity = Granularity::Block;
  Granularity v_granularity = Granularity::Channel;

  bool smooth_q = false;
  bool smooth_k = true;
  bool smooth_v = false;

  /// Exact channel balancing of Q and K (8-bit / 4-bit QK): Q channel c times
  /// a power of two a_c, K' channel c divided by it, so Q K^T is unchanged
  /// while outlier channels stop setting every group's scale. The DSL
  /// defaults it to true for quantized QK; it means nothing for 16-bit QK.
  bool balance = true;

  MaskKind mask = MaskKind::None;
  /// Sliding window, FlashAttention's convention: query i sees keys j with
  /// i + diag - window_left <= j <= i + diag + window_right, diag = Nk - Nq;
  /// -1 leaves that side unbounded (both -1: no window). With a causal mask
  /// the right side is 0 whatever is written; the frontend refuses > 0.
  int window_left = -1;
  int window_right = -1;
  /// Logit soft cap: s -> softcap * tanh(s / softcap) on the scaled score
  /// (sm_scale * q.k), before the bias; 0 means none.
  double softcap = 0;
  BiasKind bias = BiasKind::None;
  /// The rank R of bias = lowrank(R), 1..kMaxBiasRank; 0 for other biases.
  int bias_rank = 0;
  int head_dim = 128;
  Layout layout = Layout::BHND;
  int gqa = 1; ///< query heads per key/value head

  DType input = DType::BF16;
  DType output = DType::BF16;
  bool lse = false;

  /// Softmax scale; unset means 1/sqrt(head_dim).
  std::optional<double> scale;

  double effectiveScale() const;
  bool hasWindow() const { return window_left >= 0 || window_right >= 0; }
  /// Whether the scores are modified beyond the mask (softcap or a bias):
  /// the kernel then forms each score before its row max.
  bool hasScoreMod() const { return softcap > 0 || bias != BiasKind::None; }
  /// Whether the attention kernel carries more than the plain softmax (a
  /// window, a score modifier, FP32 O or a block-wide Q group): tile choices
  /// that sit at the register limit avoid these (tile_size.h selectTileSize).
  /// What costs the wgmma kernel registers beyond the plain mainloop (three
  /// consumer warpgroups spill with it: tile_size.h selectTileSize): a window,
  /// a score modifier, FP32 O, a block-wide Q group, or the LSE with a causal
  /// mask (the masked step and the LSE's values meet at 160 registers).
  bool hasKernelExtras() const {
    return hasWindow() || hasScoreMod() || output == DType::F32 ||
           q_granularity == Granularity::Block || (mask == MaskKind::Causal && lse);
  }
  bool operator==(const Variant &o) const;
  bool operator!=(const Variant &o) const { return !(*this == o); }
};

// Spellings used by the DSL, the IR attributes and the CLI. `parse*` return
// std::nullopt on an unknown spelling.
std::string_view toString(DType t);
std::string_view toString(Granularity g);
std::string_view toString(MaskKind m);
std::string_view toString(Layout l);
std::string_view toString(BiasKind b);
std::optional<DType> parseDType(std::string_view s);
std::optional<Granularity> parseGranularity(std::string_view s);
std::optional<MaskKind> parseMaskKind(std::string_view s);
std::optional<Layout> parseLayout(std::string_view s);
std::optional<BiasKind> parseBiasKind(std::string_view s);
/// The bias as the DSL writes it: "alibi", "lowrank(16)".
std::string biasSpelling(BiasKind b, int rank);

/// The standard ALiBi slope of query head h of H (Press et al.): the
/// geometric sequence 2^(-8 (h + 1) / n) over the largest power of two n <= H,
/// continued with the odd terms of 2n's sequence when H is not a power of two.
double alibiSlope(int h, int heads);

/// Bits of one element of `t`.
int bitWidth(DType t);
bool isInteger(DType t);
bool isFloat8(DType t);

} // namespace attngen

#endif // ATTNGEN_SPEC_VARIANT_H
