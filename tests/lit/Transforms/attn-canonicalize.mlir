// RUN: attngen-opt %s --attn-canonicalize | FileCheck %s
// Idempotent: a second run changes nothing.
// RUN: attngen-opt %s --attn-canonicalize | attngen-opt --attn-canonicalize | FileCheck %s

// The default scale 1/sqrt(head_dim) becomes explicit; quantized fields stay.
// CHECK-LABEL: attn.attention @default_scale
// CHECK-SAME: <qk = int8, pv = e4m3, q = token, k = thread, v = channel, smooth_q = false, smooth_k = true, smooth_v = true, balance = false, mask = causal, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false, scale = 0.088388347648318433>
attn.attention @default_scale <qk = int8, pv = e4m3, q = token, k = thread, v = channel, smooth_q = false, smooth_k = true, smooth_v = true, balance = false, mask = causal, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// CHECK-LABEL: attn.attention @default_scale_64
// CHECK-SAME: head_dim = 64,
// CHECK-SAME: scale = 1.250000e-01>
attn.attention @default_scale_64 <qk = int4, pv = int8, q = warp, k = block, v = channel, smooth_q = false, smooth_k = false, smooth_v = false, balance = false, mask = none, head_dim = 64, layout = bnhd, gqa = 4, input = f16, output = f32, lse = true>

// An explicit scale is kept.
// CHECK-LABEL: attn.attention @explicit_scale
// CHECK-SAME: scale = 3.000000e-01>
attn.attention @explicit_scale <qk = int8, pv = int8, q = block, k = block, v = channel, smooth_q = false, smooth_k = false, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false, scale = 0.3>

// 16-bit QK: Q and K are not quantized; their granularity and smoothing reset.
// CHECK-LABEL: attn.attention @f16_qk
// CHECK-SAME: <qk = f16, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = false, smooth_v = true, balance = false,
attn.attention @f16_qk <qk = f16, pv = e4m3, q = tensor, k = channel, v = channel, smooth_q = true, smooth_k = true, smooth_v = true, balance = true, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = f16, output = f16, lse = false>

// 16-bit PV: V is not quantized; its granularity and smoothing reset.
// CHECK-LABEL: attn.attention @bf16_pv
// CHECK-SAME: <qk = int8, pv = bf16, q = warp, k = token, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false,
attn.attention @bf16_pv <qk = int8, pv = bf16, q = warp, k = token, v = token, smooth_q = false, smooth_k = true, smooth_v = true, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// Target, mainloop and tiles are left alone.
// CHECK-LABEL: attn.attention @specialized
// CHECK-SAME: target = "sm_89" mainloop = mma_sync tiles = <block_m = 64, block_n = 64, warps = 4, stages = 2>
attn.attention @specialized <qk = int8, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = false, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_89" mainloop = mma_sync tiles = <block_m = 64, block_n = 64, warps = 4, stages = 2>
