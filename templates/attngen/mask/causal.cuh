//===- causal.cuh - Key masks: sequence end and bottom-right causal --------===//
//
// Query i (0-based in its head) sees key j iff j < Nk and, when causal,
// j <= i + Nk - Nq (bottom-right aligned, as docs/ARCHITECTURE.md says). The
// mask decides three things for a tile of query rows [m0, m0 + rows): how
// many key blocks to visit at all, which of them need per-element masking
// (the diagonal ones and the partial last one), and the per-element test.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_MASK_CAUSAL_CUH
#define ATTNGEN_MASK_CAUSAL_CUH

namespace attngen {

template <bool kCausal, int kBlockN> struct KeyMask {
  int seqK;
  int diag; ///< Nk - Nq: query i sees keys j <= i + diag

  __device__ KeyMask(int seqQ, int seqK_) : seqK(seqK_), diag(seqK_ - seqQ) {}

  /// Key blocks a tile of query rows [m0, m0 + rows) must visit: [0, end).
  __device__ int blockEnd(int m0, int rows) const {
    int end = (seqK + kBlockN - 1) / kBlockN;
    if (kCausal) {
      const int lastKey = m0 + rows - 1 + diag;
      const int causalEnd = lastKey < 0 ? 0 : lastKey / kBlockN + 1;
      end = causalEnd < end ? causalEnd : end;
    }
    return end;
  }

  /// Key blocks [0, end) have no masked element for rows [m0, m0 + rows).
  __device__ int unmaskedEnd(int m0) const {
    int end = seqK / kBlockN;
    if (kCausal) {
      const int lim = m0 + diag + 1; // keys < lim are visible to row m0
      const int causalEnd = lim <= 0 ? 0 : lim / kBlockN;
      end = causalEnd < end ? causalEnd : end;
    }
    return end;
  }

  /// Whether query row i sees key j.
  __device__ bool visible(int i, int j) const { return j < seqK && (!kCausal || j <= i + diag); }
};

} // namespace attngen

#endif // ATTNGEN_MASK_CAUSAL_CUH
