// RUN: attngen-opt %s --split-input-file --attn-lower-to-plan --verify-diagnostics
//
// Errors of attn-lower-to-plan.

// expected-error @+1 {{needs target, mainloop and tiles; run attn-specialize-target and attn-select-tiles before attn-lower-to-plan}}
attn.attention @untiled <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma
