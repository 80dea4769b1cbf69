//===- Convert.h - Between caller tensors and the reference's floats -*- C++ -*-===//
//
// GPU tests hold fp16 / bf16 bits in either layout; the reference works on
// dense float [B, H, N, D]. Conversions round to nearest even (quant_math.h).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_REFERENCE_CONVERT_H
#define ATTNGEN_REFERENCE_CONVERT_H

#include "attngen/Spec/Variant.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace attngen::ref {

/// fp16 / bf16 bits (per `type`) to floats.
std::vector<float> halfBitsToFloats(const uint16_t *bits, size_t n, DType type);
/// Floats to fp16 / bf16 bits, round to nearest even.
std::vector<uint16_t> floatsToHalfBits(const std::vector<float> &x, DType type);

/// [B, N, H, D] -> [B, H, N, D].
std::vector<float> bnhdToBhnd(const std::vector<float> &x, int batch, int seq, int heads,
                              int dim);
/// [B, H, N, D] -> [B, N, H, D].
std::vector<float> bhndToBnhd(const std::vector<float> &x, int batch, int heads, int seq,
                              int dim);

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_CONVERT_H
