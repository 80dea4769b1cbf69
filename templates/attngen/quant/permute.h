//===- permute.h - Token order of 8-bit V^T within groups of 32 -----------===//
//
// For 8-bit PV the S accumulator of Q K^T (fp32, m16n8 / wgmma m64nN layout:
// thread (lane l, q = l % 4) holds columns 8j + 2q + {0, 1}) must become the A
// operand of P V (8-bit k32 layout: thread holds columns 4q + {0..3} and
// 16 + 4q + {0..3}). Instead of shuffling registers, the prologue stores V^T
// with the tokens of each group of 32 permuted so that A-column c of the PV
// mma multiplies token perm32(c): thread q's four accumulator values of
// columns {2q, 2q+1, 8+2q, 9+2q} pack directly into its A register for
// columns 4q..4q+3 (likewise +16). Same layout for mma.sync m16n8k32 and
// wgmma m64nNk32, so both mainloops share it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_QUANT_PERMUTE_H
#define ATTNGEN_QUANT_PERMUTE_H

#include "attngen/kernel/config.h"

namespace attngen {

/// Token (0..31, within its group of 32) stored at A-column c of V^T.
AG_HOST_DEVICE constexpr int perm32(int c) {
  return 16 * (c / 16) + 8 * ((c % 4) / 2) + 2 * ((c % 16) / 4) + (c % 2);
}

} // namespace attngen

#endif // ATTNGEN_QUANT_PERMUTE_H
