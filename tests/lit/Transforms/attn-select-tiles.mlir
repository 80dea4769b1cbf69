// RUN: attngen-opt %s --split-input-file --attn-select-tiles | FileCheck %s
//
// Tiles from attngen::selectTileSize (templates/attngen/kernel/tile_size.h).

// wgmma: two consumer warpgroups of 64 rows plus a producer warpgroup.
// CHECK-LABEL: attn.attention @wgmma_d128
// CHECK-SAME: mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 3>
attn.attention @wgmma_d128 <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = causal, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma

// -----

// CHECK-LABEL: attn.attention @mma_sync
// CHECK-SAME: mainloop = mma_sync tiles = <block_m = 64, block_n = 64, warps = 4, stages = 2>
attn.attention @mma_sync <qk = int4, pv = e4m3, q = thread, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_89" mainloop = mma_sync

// -----

// Tiles a user or the tuner chose are kept.
// CHECK-LABEL: attn.attention @user_tiles
// CHECK-SAME: mainloop = mma_sync tiles = <block_m = 128, block_n = 32, warps = 8, stages = 3>
attn.attention @user_tiles <qk = int8, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 64, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_80" mainloop = mma_sync tiles = <block_m = 128, block_n = 32, warps = 8, stages = 3>
