// RUN: attngen-opt %s --split-input-file --attn-lower-to-plan | FileCheck %s
// The plan round-trips.
// RUN: attngen-opt %s --split-input-file --attn-lower-to-plan | attngen-opt --split-input-file | FileCheck %s

// K smoothing and 8-bit PV need channel statistics first; the wgmma kernel
// quantizes Q itself (no quant_q).
// CHECK-LABEL: attn.plan @sage2
// CHECK-SAME: target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2> kv_chunk = 1024 {
// CHECK-NEXT:   attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
// CHECK-NEXT:   attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
// CHECK-NEXT:   attn.kernel @attngen_attention role = attention threads = 384 smem_bytes = {{[0-9]+}}
// CHECK-NEXT: }
// CHECK-NOT: attn.attention
attn.attention @sage2 <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = causal, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false, scale = 0.088388347648318433> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2>

// -----

// Nothing needs channel statistics: no smoothing, 16-bit PV, block K scales.
// CHECK-LABEL: attn.plan @sage1_sm80
// CHECK-SAME: target = "sm_80" mainloop = mma_sync tiles = <block_m = 64, block_n = 64, warps = 4, stages = 2> kv_chunk = 1024 {
// CHECK-NEXT:   attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
// CHECK-NEXT:   attn.kernel @attngen_quant_q role = quant_q threads = 256 smem_bytes = 0
// CHECK-NEXT:   attn.kernel @attngen_attention role = attention threads = 128 smem_bytes = {{[0-9]+}}
// CHECK-NEXT: }
attn.attention @sage1_sm80 <qk = int8, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = false, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = f16, output = f16, lse = false, scale = 0.088388347648318433> target = "sm_80" mainloop = mma_sync tiles = <block_m = 64, block_n = 64, warps = 4, stages = 2>

// -----

// Per-tensor K scales take their extrema from KVStats.
// CHECK-LABEL: attn.plan @k_tensor
// CHECK-NEXT:   attn.kernel @attngen_kv_stats role = kv_stats
// CHECK-NEXT:   attn.kernel @attngen_quant_kv
attn.attention @k_tensor <qk = int8, pv = f16, q = warp, k = tensor, v = channel, smooth_q = false, smooth_k = false, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = f16, output = f16, lse = false, scale = 0.088388347648318433> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2>

// -----

// Q/K balancing reads the channel extrema of K and Q from KVStats.
// CHECK-LABEL: attn.plan @balance
// CHECK-SAME: balance = true
// CHECK-NEXT:   attn.kernel @attngen_kv_stats role = kv_stats
// CHECK-NEXT:   attn.kernel @attngen_quant_kv
attn.attention @balance <qk = int8, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = false, smooth_v = false, balance = true, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = f16, output = f16, lse = false, scale = 0.088388347648318433> target = "sm_80" mainloop = mma_sync tiles = <block_m = 64, block_n = 64, warps = 4, stages = 2>
