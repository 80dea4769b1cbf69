//===- Images.cpp - Emulated operands in the workspace's byte layout ------===//
#include "attngen/reference/Images.h"

#include "attngen/quant/permute.h"
#include "attngen/quant/quant_math.h"
#include "attngen/quant/tile_image.h"

namespace attngen::ref {

namespace {

/// The stored code of one emulated value (the value is exactly representable).
uint32_t codeOf(float x, DType t) {
  switch (t) {
  case DType::I8:
    return uint32_t(int32_t(x)) & 0xffu;
  case DType::I4:
    return uint32_t(int32_t(x)) & 0xfu;
  case DType::E4M3:
    return encodeE4m3Soft(x);
  case DType::F16:
    return floatToF16(x);
  case DType::BF16:
    return floatToBf16(x);
  case DType::F32:
    return floatBits(x);
  }
  return 0;
}

} // namespace

double storedBytes(DType t) {
  switch (t) {
  case DType::I4:
    return 0.5;
  case DType::I8:
  case DType::E4M3:
    return 1;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F32:
    return 4;
  }
  return 1;
}

std::vector<uint8_t> rowTileImages(const QuantizedTensor &t, int batch, int rowsPerTile) {
  if (rowsPerTile <= 0 || t.seqPad % rowsPerTile != 0)
    return {};
  const int D = t.dim;
  const int rowBytes = int(D * storedBytes(t.type));
  const size_t tileBytes = size_t(rowsPerTile) * rowBytes;
  const size_t tiles = size_t(batch) * t.heads * (t.seqPad / rowsPerTile);
  std::vector<uint8_t> out(tiles * tileBytes, 0);
  for (size_t tile = 0; tile < tiles; ++tile)
    for (int r = 0; r < rowsPerTile; ++r) {
      const float *row = &t.values[(tile * rowsPerTile + size_t(r)) * D];
      uint8_t *image = &out[tile * tileBytes];
      for (int d = 0; d < D; ++d) {
        const uint32_t code = codeOf(row[d], t.type);
        if (t.type == DType::I4) {
          // Element 2i in the low nibble of byte i.
          image[tileImageOffset(r, d / 2, rowsPerTile, rowBytes)] |=
              uint8_t(code << (4 * (d % 2)));
        } else {
          const int bytes = int(storedBytes(t.type));
          for (int k = 0; k < bytes; ++k) // little-endian, as the GPU stores
            image[tileImageOffset(r, d * bytes + k, rowsPerTile, rowBytes)] =
                uint8_t(code >> (8 * k));
        }
      }
    }
  return out;
}

std::vector<uint8_t> transposedVImages(const QuantizedTensor &v, int batch, int blockN) {
  if (blockN <= 0 || blockN % 32 != 0 || v.seqPad % blockN != 0 || storedBytes(v.type) != 1)
    return {};
  const int D = v.dim;
  const size_t tileBytes = size_t(D) * blockN;
  const size_t tiles = size_t(batch) * v.heads * (v.seqPad / blockN);
  std::vector<uint8_t> out(tiles * tileBytes, 0);
  for (size_t tile = 0; tile < tiles; ++tile)
    for (int col = 0; col < blockN; ++col) {
      const int token = col / 32 * 32 + perm32(col % 32);
      const float *row = &v.values[(tile * blockN + size_t(token)) * D];
      for (int c = 0; c < D; ++c)
        out[tile * tileBytes + size_t(tileImageOffset(c, col, D, blockN))] =
            uint8_t(codeOf(row[c], v.type));
    }
  return out;
}

std::vector<uint8_t> vImages(const QuantizedTensor &v, int batch, int blockN) {
  return storedBytes(v.type) == 1 ? transposedVImages(v, batch, blockN)
                                  : rowTileImages(v, batch, blockN);
}

} // namespace attngen::ref
