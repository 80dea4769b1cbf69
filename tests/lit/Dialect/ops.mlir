// RUN: attngen-opt %s | FileCheck %s
// RUN: attngen-opt %s | attngen-opt | FileCheck %s
// RUN: attngen-opt %s --mlir-print-op-generic | attngen-opt | FileCheck %s
//
// Round trip: the printed form parses back to the same IR (also through the
// generic form), fields in any order parse to the canonical print order.

// CHECK-LABEL: attn.attention @plain
// CHECK-SAME: <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = causal, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>
// CHECK-NOT: target
attn.attention @plain <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = causal, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// CHECK-LABEL: attn.attention @reordered
// CHECK-SAME: <qk = int4, pv = int8, q = token, k = thread, v = channel, smooth_q = true, smooth_k = false, smooth_v = true, balance = false, mask = none, head_dim = 64, layout = bnhd, gqa = 8, input = f16, output = f32, lse = true, scale = 1.250000e-01>
attn.attention @reordered <lse = true, scale = 0.125, output = f32, input = f16, gqa = 8, layout = bnhd, head_dim = 64, mask = none, smooth_v = true, balance = false, smooth_k = false, smooth_q = true, v = channel, k = thread, q = token, pv = int8, qk = int4>

// CHECK-LABEL: attn.attention @specialized
// CHECK-SAME: scale = 0.088388347648318433> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2>
attn.attention @specialized <qk = e4m3, pv = e4m3, q = block, k = tensor, v = channel, smooth_q = false, smooth_k = false, smooth_v = true, balance = false, mask = causal, head_dim = 128, layout = bhnd, gqa = 2, input = bf16, output = f16, lse = false, scale = 0.088388347648318433> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2>

// CHECK-LABEL: attn.attention @user_tiles
// CHECK-SAME: mainloop = mma_sync tiles = <block_m = 128, block_n = 64, warps = 8, stages = 3>
attn.attention @user_tiles <qk = f16, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = false, smooth_v = false, balance = false, mask = none, head_dim = 64, layout = bhnd, gqa = 1, input = f16, output = f16, lse = false> mainloop = mma_sync tiles = <block_m = 128, block_n = 64, warps = 8, stages = 3>

// CHECK-LABEL: attn.plan @sm80
// CHECK-SAME: target = "sm_80" mainloop = mma_sync tiles = <block_m = 64, block_n = 64, warps = 4, stages = 2> kv_chunk = 1024 {
// CHECK-NEXT: attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
// CHECK-NEXT: attn.kernel @attngen_quant_q role = quant_q threads = 256 smem_bytes = 0
// CHECK-NEXT: attn.kernel @attngen_attention role = attention threads = 128 smem_bytes = {{[0-9]+}}
// CHECK-NEXT: }
attn.plan @sm80 <qk = int8, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = false, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = f16, output = f16, lse = false, scale = 0.088388347648318433> target = "sm_80" mainloop = mma_sync tiles = <block_m = 64, block_n = 64, warps = 4, stages = 2> kv_chunk = 1024 {
  attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
  attn.kernel @attngen_quant_q role = quant_q threads = 256 smem_bytes = 0
  attn.kernel @attngen_attention role = attention threads = 128 smem_bytes = 131072
}

// CHECK-LABEL: attn.plan @attrs
// CHECK-SAME: kv_chunk = 512 attributes {note = "tuned"} {
// CHECK-NEXT: attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
attn.plan @attrs <qk = int8, pv = int8, q = thread, k = warp, v = channel, smooth_q = false, smooth_k = true, smooth_v = true, balance = false, mask = causal, head_dim = 64, layout = bnhd, gqa = 4, input = bf16, output = bf16, lse = true, scale = 0.125> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2> kv_chunk = 512 attributes {note = "tuned"} {
  attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
  attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
  attn.kernel @attngen_attention role = attention threads = 384 smem_bytes = 131072
}
