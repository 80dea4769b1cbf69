//===- Convert.cpp - Between caller tensors and the reference's floats ----===//
#include "attngen/reference/Convert.h"

#include "attngen/quant/quant_math.h"

namespace attngen::ref {

namespace {
int halfCode(DType t) { return t == DType::BF16 ? dt::BF16 : dt::F16; }
} // namespace

std::vector<float> halfBitsToFloats(const uint16_t *bits, size_t n, DType type) {
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = halfBitsToFloat(bits[i], halfCode(type));
  return out;
}

std::vector<uint16_t> floatsToHalfBits(const std::vector<float> &x, DType type) {
  std::vector<uint16_t> out(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    out[i] = floatToHalfBits(x[i], halfCode(type));
  return out;
}

std::vector<float> bnhdToBhnd(const std::vector<float> &x, int batch, int seq, int heads,
                              int dim) {
  std::vector<float> out(x.size());
  for (size_t b = 0; b < size_t(batch); ++b)
    for (size_t n = 0; n < size_t(seq); ++n)
      for (size_t h = 0; h < size_t(heads); ++h)
        for (size_t d = 0; d < size_t(dim); ++d)
          out[((b * heads + h) * seq + n) * dim + d] = x[((b * seq + n) * heads + h) * dim + d];
  return out;
}

std::vector<float> bhndToBnhd(const std::vector<float> &x, int batch, int heads, int seq,
                              int dim) {
  std::vector<float> out(x.size());
  for (size_t b = 0; b < size_t(batch); ++b)
    for (size_t h = 0; h < size_t(heads); ++h)
      for (size_t n = 0; n < size_t(seq); ++n)
        for (size_t d = 0; d < size_t(dim); ++d)
          out[((b * seq + n) * heads + h) * dim + d] = x[((b * heads + h) * seq + n) * dim + d];
  return out;
}

} // namespace attngen::ref
