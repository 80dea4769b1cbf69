// RUN: attngen-opt %s --split-input-file --attn-select-tiles --verify-diagnostics
//
// Errors of attn-select-tiles.

// expected-error @+1 {{has no mainloop; run attn-specialize-target before attn-select-tiles}}
attn.attention @unspecialized <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>
