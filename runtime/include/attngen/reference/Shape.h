//===- Shape.h - Shapes and dense tensors of the CPU reference --*- C++ -*-===//
//
// The reference and the emulation work on dense float tensors in [B, H, N, D]
// layout (the caller converts from its own layout and from fp16/bf16). Query
// heads map to key/value heads as GQA does: kv head = h / (Hq / Hkv).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_REFERENCE_SHAPE_H
#define ATTNGEN_REFERENCE_SHAPE_H

#include <cstddef>
#include <string>
#include <vector>

namespace attngen::ref {

struct AttnShape {
  int batch = 1;
  int headsQ = 1;
  int headsKv = 1;
  int seqQ = 1;
  int seqK = 1;
  int headDim = 64;

  int gqa() const { return headsKv > 0 ? headsQ / headsKv : 0; }
  size_t qElems() const { return size_t(batch) * headsQ * seqQ * headDim; }
  size_t kvElems() const { return size_t(batch) * headsKv * seqK * headDim; }
  size_t lseElems() const { return size_t(batch) * headsQ * seqQ; }
  /// Offset of row `n` of (b, h) in a [B, H, N, D] tensor with `heads` heads.
  static size_t rowOffset(int b, int h, int n, int heads, int seq, int dim) {
    return ((size_t(b) * heads + h) * seq + n) * size_t(dim);
  }
};

/// Empty when the shape is usable; otherwise what is wrong with it.
std::string validate(const AttnShape &s);

/// Q, K, V of one problem, dense [B, H, N, D].
struct AttnInputs {
  AttnShape shape;
  std::vector<float> q, k, v;
  /// bias = alibi: one slope per query head ([Hq], natural-log units, as the
  /// kernel reads them); empty: the standard slopes (attngen::alibiSlope).
  std::vector<float> alibiSlopes;
  /// bias = lowrank(R): dense factors qb [B, Hq, Nq, R] and kb [B, Hq, Nk, R]
  /// (values of the input type); scores += qb_i . kb_j. Empty with rank 0.
  int biasRank = 0;
  std::vector<float> biasQ, biasK;
  /// bias = dense: the table [B, Hq, Nq, Nk] (values of the input type; -inf
  /// masks); scores += biasDense[b][h][i][j]. Empty: none.
  std::vector<float> biasDense;
};

/// Batch b of `in` with only its first `seqK` keys (1 <= seqK <= Nk): one
/// sequence of a problem with per-sequence key lengths, as a problem of its
/// own (K, V, the key factors and the table's columns cut; ALiBi slopes kept).
AttnInputs batchPrefix(const AttnInputs &in, int b, int seqK);

/// Empty when the bias factors and table match the shape; else what is wrong.
std::string validateBiasFactors(const AttnInputs &in);

/// O [B, Hq, Nq, D] and the natural-log LSE [B, Hq, Nq] of the scaled scores.
struct AttnOutput {
  std::vector<float> o;
  std::vector<float> lse;
};

/// Bottom-right aligned causal mask: query i sees key j iff j <= i + Nk - Nq.
inline bool causalVisible(int i, int j, int seqQ, int seqK) {
  return j <= i + seqK - seqQ;
}

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_SHAPE_H
