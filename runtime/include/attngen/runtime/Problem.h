//===- Problem.h - The shape and buffers of one attention call --*- C++ -*-===//
#ifndef ATTNGEN_RUNTIME_PROBLEM_H
#define ATTNGEN_RUNTIME_PROBLEM_H

#include <cstdint>

namespace attngen {

/// Shapes of one call: Q is [batch, heads_q, seq_q, D], K and V are
/// [batch, heads_kv, seq_k, D], heads_q == heads_kv * gqa.
struct Problem {
  int batch = 1, heads_q = 1, heads_kv = 1, seq_q = 1, seq_k = 1;
};

/// Caller buffers. Strides are in elements: [0] batch, [1] head, [2] token;
/// the channel stride is 1. `lse` is [batch, heads_q, seq_q] floats, required
/// exactly when the variant returns LSE.
struct Tensors {
  const void *q = nullptr;
  const void *k = nullptr;
  const void *v = nullptr;
  void *o = nullptr;
  float *lse = nullptr;
  /// [Hq] ALiBi slopes on the device (natural-log units), required iff the
  /// variant has bias = alibi.
  const float *alibi_slopes = nullptr;
  /// bias = lowrank(R): the factors qb [B, Hq, Nq, R] and kb [B, Hq, Nk, R]
  /// in the input type, rank-contiguous, on the device; strides in elements
  /// ([0] batch, [1] query head, [2] token; 0 broadcasts a batch or head).
  /// `bias_rank` is their last dimension: it must equal the variant's R.
  /// Required iff the variant has a low-rank bias.
  const void *bias_q = nullptr;
  const void *bias_k = nullptr;
  int64_t bias_q_stride[3] = {0, 0, 0};
  int64_t bias_k_stride[3] = {0, 0, 0};
  int bias_rank = 0;
  /// bias = dense: the table [B, Hq, Nq, Nk] in the input type on the device,
  /// strides in elements ([0] batch, [1] query head, [2] query row; 0
  /// broadcasts), key stride 1. Required iff the variant has a dense bias.
  const void *bias_dense = nullptr;
  int64_t bias_dense_stride[3] = {0, 0, 0};
  /// Optional with bias = dense: the table's block map, built once per table
  /// by Kernel::buildBlockMap (same table strides, same kernel): tiles whose
  /// entries are all -inf are then skipped. A map of another table gives
  /// wrong results; null visits every tile.
  const void *bias_block_map = nullptr;
  /// Optional [batch] int32 on the device: the keys of each sequence (key
  /// padding, a KV cache's fill). Sequence b then behaves as a problem with
  /// Nk = seq_lens_k[b] (clamped to [0, seq_k]): its later keys are never read
  /// (not even by the quantization statistics) and the causal diagonal and
  /// windows align to its own end. Null: every sequence has seq_k keys.
  const int *seq_lens_k = nullptr;
  int64_t q_stride[3] = {0, 0, 0};
  int64_t k_stride[3] = {0, 0, 0};
  int64_t v_stride[3] = {0, 0, 0};
  int64_t o_stride[3] = {0, 0, 0};
};

/// Dense strides of a [B, H, N, D] (bhnd) or [B, N, H, D] (bnhd) tensor.
inline void denseStrides(int64_t out[3], bool bnhd, int heads, int tokens, int headDim) {
  if (bnhd) {
    out[0] = int64_t(tokens) * heads * headDim;
    out[1] = headDim;
    out[2] = int64_t(heads) * headDim;
  } else {
    out[0] = int64_t(heads) * tokens * headDim;
    out[1] = int64_t(tokens) * headDim;
    out[2] = headDim;
  }
}

} // namespace attngen

#endif // ATTNGEN_RUNTIME_PROBLEM_H
