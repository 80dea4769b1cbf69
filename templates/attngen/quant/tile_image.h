//===- tile_image.h - Tensor-core-native layout of quantized operand tiles -===//
//
// The prologue kernels write quantized Q, K and V^T not as plain row-major
// tensors but as *tile images*: each tile (R rows x RB bytes per row) is stored
// exactly as the swizzled shared-memory image that wgmma descriptors and
// ldmatrix read. The attention kernel then moves a whole tile with one bulk
// copy (cp.async.bulk on sm_90, cp.async 16-byte chunks on sm_80/89) and no
// address arithmetic, and the swizzle keeps ldmatrix free of bank conflicts.
//
// Layout of one tile image: the row bytes are split into panels of P bytes,
// P = min(128, RB) (RB is 32, 64, 128 or a multiple of 128); panel p holds
// bytes [p*P, (p+1)*P) of every row, rows contiguous, P bytes each. Inside a
// panel the 16-byte chunks are XOR-swizzled with the row group: this is the
// hardware's 128B / 64B / 32B swizzle mode for P = 128 / 64 / 32, and requires
// each panel to start 1024-byte aligned in shared memory.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_QUANT_TILE_IMAGE_H
#define ATTNGEN_QUANT_TILE_IMAGE_H

#include "attngen/kernel/config.h"

namespace attngen {

/// Panel width in bytes for rows of `rowBytes` bytes.
AG_HOST_DEVICE constexpr int tilePanelBytes(int rowBytes) {
  return rowBytes < 128 ? rowBytes : 128;
}

/// The swizzle of a byte offset inside one panel of width P bytes.
AG_HOST_DEVICE constexpr int swizzlePanelOffset(int offset, int panelBytes) {
  return offset ^ (((offset >> 7) & (panelBytes / 16 - 1)) << 4);
}

/// Byte offset of (row, byte) in the image of a tile of `rows` rows of
/// `rowBytes` bytes.
AG_HOST_DEVICE constexpr int tileImageOffset(int row, int byte, int rows, int rowBytes) {
  const int P = tilePanelBytes(rowBytes);
  const int panel = byte / P;
  return panel * rows * P + swizzlePanelOffset(row * P + byte % P, P);
}

} // namespace attngen

#endif // ATTNGEN_QUANT_TILE_IMAGE_H
