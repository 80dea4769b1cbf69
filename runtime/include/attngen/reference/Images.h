//===- Images.h - Emulated operands in the workspace's byte layout -*- C++ -*-===//
//
// The prologue kernels write quantized Q, K and V as tile images
// (quant/tile_image.h; 8-bit V transposed with perm32 token order,
// quant/permute.h; int4 two per byte, element 2i in the low nibble). These
// functions lay out an emulated QuantizedTensor the same way, so a GPU test
// compares the device's q_quant / k_quant / v_quant with memcmp.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_REFERENCE_IMAGES_H
#define ATTNGEN_REFERENCE_IMAGES_H

#include "attngen/reference/Emulate.h"

#include <cstdint>
#include <vector>

namespace attngen::ref {

/// Bytes of one element of `t` as stored (I4: half a byte).
double storedBytes(DType t);

/// Q, K, or 16-bit V: [B, H, Npad / rowsPerTile] images of rowsPerTile rows
/// x D * bits / 8 bytes (rowsPerTile = blockM for Q, blockN for K and V).
/// Empty if seqPad is not a multiple of rowsPerTile.
std::vector<uint8_t> rowTileImages(const QuantizedTensor &t, int batch, int rowsPerTile);

/// 8-bit V: [B, Hkv, Nk_pad / blockN] images of D rows (channels) x blockN
/// bytes; column c of each group of 32 holds token perm32(c).
std::vector<uint8_t> transposedVImages(const QuantizedTensor &v, int batch, int blockN);

/// The workspace image of `v` for the variant's PV type (either of the above).
std::vector<uint8_t> vImages(const QuantizedTensor &v, int batch, int blockN);

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_IMAGES_H
