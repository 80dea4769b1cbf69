//===- causal.cuh - Key masks: sequence end, causal and sliding window ----===//
//
// Query i (0-based in its head) sees key j iff 0 <= j < Nk and, with
// diag = Nk - Nq (bottom-right aligned, as docs/ARCHITECTURE.md says),
//   j <= i + diag + kRight   (kRight >= 0; causal is kRight = 0)
//   j >= i + diag - kLeft    (kLeft >= 0)
// with -1 leaving a side unbounded (FlashAttention's window convention).
// For a tile of query rows [m0, m0 + rows) the mask gives the key blocks to
// visit, [blockBegin, blockEnd) (blocks wholly outside the window are
// skipped, not masked), the blocks inside them that need no per-element test,
// [unmaskedBegin, unmaskedEnd), and the per-element test visible(i, j).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_MASK_CAUSAL_CUH
#define ATTNGEN_MASK_CAUSAL_CUH

namespace attngen {

template <bool kCausal, int kBlockN, int kLeft = -1, int kRightIn = -1> struct KeyMask {
  static constexpr int kRight = kCausal ? 0 : kRightIn;
  static constexpr bool kHasLeft = kLeft >= 0;
  static_assert(kLeft >= -1 && kRightIn >= -1, "window sides are -1 or >= 0");

  int seqK;
  int diag; ///< Nk - Nq

  __device__ KeyMask(int seqQ, int seqK_) : seqK(seqK_), diag(seqK_ - seqQ) {}

  /// First key block a tile of query rows [m0, m0 + rows) visits.
  __device__ int blockBegin(int m0) const {
    if (!kHasLeft)
      return 0;
    const int firstKey = m0 + diag - kLeft; // row m0's lowest visible key
    return firstKey <= 0 ? 0 : firstKey / kBlockN;
  }

  /// One past the last key block the tile visits; <= blockBegin: none.
  __device__ int blockEnd(int m0, int rows) const {
    int end = (seqK + kBlockN - 1) / kBlockN;
    if (kRight >= 0) {
      const int lastKey = m0 + rows - 1 + diag + kRight;
      const int rightEnd = lastKey < 0 ? 0 : lastKey / kBlockN + 1;
      end = rightEnd < end ? rightEnd : end;
    }
    return end;
  }

  /// Blocks >= unmaskedBegin have no key left of any row's window.
  __device__ int unmaskedBegin(int m0, int rows) const {
    if (!kHasLeft)
      return 0;
    const int lo = m0 + rows - 1 + diag - kLeft; // the last row's lowest key
    return lo <= 0 ? 0 : (lo + kBlockN - 1) / kBlockN;
  }

  /// Blocks < unmaskedEnd have no key right of any row's window or past Nk.
  __device__ int unmaskedEnd(int m0) const {
    int end = seqK / kBlockN;
    if (kRight >= 0) {
      const int lim = m0 + diag + kRight + 1; // keys < lim are visible to row m0
      const int rightEnd = lim <= 0 ? 0 : lim / kBlockN;
      end = rightEnd < end ? rightEnd : end;
    }
    return end;
  }

  /// Whether block n needs the per-element test for rows [m0, m0 + rows).
  __device__ bool blockMasked(int n, int m0, int rows) const {
    return n >= unmaskedEnd(m0) || n < unmaskedBegin(m0, rows);
  }

  /// Row i sees exactly the keys [firstKey(i), lastKey(i)] (empty when first > last).
  __device__ int firstKey(int i) const {
    const int lo = i + diag - kLeft;
    return kHasLeft && lo > 0 ? lo : 0;
  }
  __device__ int lastKey(int i) const {
    const int hi = i + diag + kRight;
    return kRight >= 0 && hi < seqK - 1 ? hi : seqK - 1;
  }

  /// Whether query row i sees key j.
  __device__ bool visible(int i, int j) const {
    return j < seqK && (kRight < 0 || j <= i + diag + kRight) &&
           (!kHasLeft || j >= i + diag - kLeft);
  }
};

} // namespace attngen

#endif // ATTNGEN_MASK_CAUSAL_CUH
