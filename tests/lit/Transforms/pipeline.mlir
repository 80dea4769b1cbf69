// The whole pipeline as compileToPlan runs it, from a fresh attn.attention.
// RUN: attngen-opt %s --attn-canonicalize --attn-specialize-target=arch=sm_89 --attn-select-tiles --attn-lower-to-plan | FileCheck %s

// CHECK-LABEL: attn.plan @ada
// CHECK-SAME: <qk = int4, pv = e4m3, q = thread, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = causal, head_dim = 128, layout = bhnd, gqa = 8, input = bf16, output = bf16, lse = true, scale = 0.088388347648318433> target = "sm_89" mainloop = mma_sync tiles = <block_m = 64, block_n = 64, warps = 4, stages = 2> kv_chunk = 1024 {
// CHECK-NEXT:   attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
// CHECK-NEXT:   attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
// CHECK-NEXT:   attn.kernel @attngen_quant_q role = quant_q threads = 256 smem_bytes = 0
// CHECK-NEXT:   attn.kernel @attngen_attention role = attention threads = 128 smem_bytes = {{[0-9]+}}
// CHECK-NEXT: }
attn.attention @ada <qk = int4, pv = e4m3, q = thread, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = causal, head_dim = 128, layout = bhnd, gqa = 8, input = bf16, output = bf16, lse = true>
