//===- params.h - The one parameter block of every attngen kernel ---------===//
//
// Shared by the host (runtime fills it) and the device (every kernel of a
// plan takes it by value as `const __grid_constant__ AttnParams`). Only
// builtin types: NVRTC compiles it without any standard header.
//
// Shapes: B batches, Hq query heads, Hkv = Hq / gqa key/value heads, Nq query
// tokens, Nk key tokens, D head dim. Strides are in elements of the input /
// output type and 64-bit, so offsets never overflow 32 bits.
//
// Workspace tensors (written by the prologue kernels, read by attention) are
// dense and padded: Nq_pad = round_up(Nq, blockM), Nk_pad = round_up(Nk,
// blockN); padded tokens hold zeros.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_KERNEL_PARAMS_H
#define ATTNGEN_KERNEL_PARAMS_H

namespace attngen {

typedef long long agi64;

struct AttnParams {
  // ---- caller tensors -----------------------------------------------------
  const void *q; ///< [B, Hq, Nq, D] (strided), input type
  const void *k; ///< [B, Hkv, Nk, D] (strided), input type
  const void *v; ///< [B, Hkv, Nk, D] (strided), input type
  void *o;       ///< [B, Hq, Nq, D] (strided), output type
  float *lse;    ///< [B, Hq, Nq] natural-log LSE of the scaled scores, or null

  // strides: [0] batch, [1] head, [2] token; the channel stride is 1.
  agi64 q_stride[3];
  agi64 k_stride[3];
  agi64 v_stride[3];
  agi64 o_stride[3];

  int batch, heads_q, heads_kv, seq_q, seq_k;
  /// [B] keys of each sequence (key padding / a KV cache's fill), or null: all
  /// seq_k. Sequence b then behaves as a problem with Nk = seq_lens_k[b]
  /// (clamped to [0, seq_k]) in every kernel: its later keys are neither
  /// read by the statistics nor seen by any query, and the causal diagonal
  /// and windows align to its own end (kvSeqLen).
  const int *seq_lens_k;
  int seq_q_pad, seq_k_pad;
  int kv_chunks; ///< number of KVStats chunks per head (ceil(Nk / kvChunk))
  int q_chunks;  ///< Q chunks of KVStats when balancing (ceil(Nq / kvChunk)), else 0

  float sm_scale;      ///< softmax scale s
  float sm_scale_log2; ///< s * log2(e), folded into the Q scales

  // ---- workspace (see runtime/Workspace.h for sizes) ----------------------
  // 8-bit / 4-bit operands are stored as tile images (quant/tile_image.h):
  // [B, H, tiles, tile image bytes], tiles of blockM (Q) / blockN (K, V^T) rows.
  void *q_quant;    ///< [B, Hq, Nq_pad, D] quantized Q (if QuantQ runs)
  float *q_scale;   ///< [B, Hq, Nq_pad] per-token dequant scale * s*log2(e)
  float *q_mean;    ///< [B, Hq, Nq_pad / blockM, D] (smooth_q)
  float *q_kmean;   ///< [B, Hq, Nq_pad]: s * q . mean(K), the LSE correction
  void *k_quant;    ///< [B, Hkv, Nk_pad, D] quantized smoothed K
  float *k_scale;   ///< [B, Hkv, Nk_pad] per-token dequant scale
  float *k_partial; ///< [B, Hkv, kv_chunks, 3, D]: sum, max, min per channel
  float *k_mean;    ///< [B, Hkv, D] channel means of K (smooth_k)
  void *v_quant;    ///< 8-bit PV: [B, Hkv, D, Nk_pad] (transposed, token-
                    ///< permuted in groups of 32); 16-bit: [B, Hkv, Nk_pad, D]
  float *v_scale;   ///< [B, Hkv, D] (channel) or [B, Hkv, Nk_pad/blockN, D]
  float *v_partial; ///< [B, Hkv, kv_chunks, 3, D]: sum, max, min per channel
  float *v_mean;    ///< [B, Hkv, D] channel means of V (smooth_v)
  // Q/K channel balancing (kBalance): Q channel c is multiplied, K' channel c
  // divided by qk_balance (a power of two, so Q K^T is unchanged exactly).
  float *q_partial;  ///< [B, Hkv, q_chunks, D]: max |Q| per channel over a
                     ///< chunk of tokens of all gqa query heads of the kv head
  float *qk_balance; ///< [B, Hkv, D] per-channel factor a_c
  /// [B, Hkv, 7, D]: the chunk partials reduced once per head by KVStats' last
  /// CTA of the head (K sum, max, min, V sum, max, min, Q amax), read by every
  /// QuantKV CTA of the head (which reduced all chunks itself before: N^2).
  float *kv_head;
  void *kv_done; ///< [B, Hkv] unsigned: KVStats CTAs done (zeroed before each launch)
  /// int: the next tile of the persistent wgmma kernel's dynamic schedule
  /// (tile_size.h sm90DynamicTiles; zeroed before each launch that runs it).
  void *tile_counter;

  // ---- score modifiers (mask/score_mod.h) ---------------------------------
  const float *alibi_slopes; ///< [Hq] ALiBi slope per query head, natural-log
                             ///< units (bias = alibi), else null
  // bias = lowrank(R): scores += qb_i . kb_j (natural-log units). Input type,
  // rank-contiguous; strides [0] batch, [1] query head, [2] token, where 0
  // broadcasts. Null without a low-rank bias.
  const void *bias_q; ///< qb [B, Hq, Nq, R]
  const void *bias_k; ///< kb [B, Hq, Nk, R]
  agi64 bias_q_stride[3];
  agi64 bias_k_stride[3];
  // bias = dense: scores += bias[b, h, i, j] (natural-log units), input type,
  // strides [0] batch, [1] query head, [2] query row (0 broadcasts a batch or
  // head), key stride 1. Null without a dense bias.
  const void *bias_dense; ///< [B, Hq, Nq, Nk]
  agi64 bias_dense_stride[3];
  // The dense table's block map (mask/block_map.cuh), optional: one byte per
  // blockM x blockN tile, 0 where every entry is -inf; such tiles are not
  // visited. [Bm, Hm, ceil(Nq / blockM), map_cols] with map_cols =
  // ceil(Nk / blockN); strides [0] batch, [1] head in bytes (0 broadcasts, as
  // the table's). Null: every tile is visited.
  const unsigned char *bias_map;
  agi64 bias_map_stride[2];
  int bias_map_cols;
};

/// The key count of sequence b (params.seq_lens_k, else seq_k).
#if defined(__CUDACC__)
__device__ __forceinline__ int kvSeqLen(const AttnParams &p, int b) {
  if (p.seq_lens_k == nullptr)
    return p.seq_k;
  const int n = __ldg(p.seq_lens_k + b);
  return n < 0 ? 0 : n > p.seq_k ? p.seq_k : n;
}
#endif

} // namespace attngen

#endif // ATTNGEN_KERNEL_PARAMS_H
