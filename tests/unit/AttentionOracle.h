// The unit tests' textbook oracle: softmax attention in double with an
// additive bias, written out per score (no tiling, no online softmax).
#ifndef ATTNGEN_TESTS_ATTENTIONORACLE_H
#define ATTNGEN_TESTS_ATTENTIONORACLE_H

#include "attngen/reference/Inputs.h"
#include "attngen/reference/Shape.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace attngen::test {

/// O and LSE of softmax_j(score(scale q_i . k_j) + bias(b, h, i, j)) V for
/// every batch and query head (head h reads kv head h / gqa). A bias of -inf
/// masks; a row whose keys are all masked has O = 0 and LSE = -inf.
template <class Score, class Bias>
ref::AttnOutput biasedAttention(const ref::AttnInputs &in, double scale, Score score,
                                Bias bias) {
  using ref::AttnShape;
  const AttnShape &s = in.shape;
  const int D = s.headDim;
  ref::AttnOutput out;
  out.o.assign(s.qElems(), 0.f);
  out.lse.assign(s.lseElems(), 0.f);
  for (int b = 0; b < s.batch; ++b)
    for (int h = 0; h < s.headsQ; ++h) {
      const int hk = h / s.gqa();
      for (int i = 0; i < s.seqQ; ++i) {
        std::vector<double> z(size_t(s.seqK));
        double m = -INFINITY;
        for (int j = 0; j < s.seqK; ++j) {
          double dot = 0;
          for (int d = 0; d < D; ++d)
            dot += double(in.q[AttnShape::rowOffset(b, h, i, s.headsQ, s.seqQ, D) + d]) *
                   in.k[AttnShape::rowOffset(b, hk, j, s.headsKv, s.seqK, D) + d];
          z[size_t(j)] = score(scale * dot) + bias(b, h, i, j);
          m = std::max(m, z[size_t(j)]);
        }
        const size_t li = (size_t(b) * s.headsQ + h) * s.seqQ + i;
        if (m == -INFINITY) { // every key masked: O = 0, LSE = -inf
          out.lse[li] = -INFINITY;
          continue;
        }
        double l = 0;
        for (double &x : z)
          l += x = std::exp(x - m);
        for (int d = 0; d < D; ++d) {
          double acc = 0;
          for (int j = 0; j < s.seqK; ++j)
            acc += z[size_t(j)] * in.v[AttnShape::rowOffset(b, hk, j, s.headsKv, s.seqK, D) + d];
          out.o[AttnShape::rowOffset(b, h, i, s.headsQ, s.seqQ, D) + d] = float(acc / l);
        }
        out.lse[li] = float(m + std::log(l));
      }
    }
  return out;
}

} // namespace attngen::test

#endif
