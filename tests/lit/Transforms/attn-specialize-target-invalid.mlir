// RUN: attngen-opt %s --split-input-file --attn-specialize-target=arch=sm_90a --verify-diagnostics
// RUN: not attngen-opt %s --split-input-file --attn-specialize-target=arch=sm_89 2>&1 | FileCheck %s --check-prefix=SM89
// RUN: not attngen-opt %s --attn-specialize-target=arch=sm_75 2>&1 | FileCheck %s --check-prefix=SM75
//
// Errors of attn-specialize-target (the target-free verifier messages are in
// Dialect/invalid.mlir).

// SM75: error: 'attn.attention' op unknown target 'sm_75' (expected sm_80, sm_86, sm_89, sm_90 or sm_90a)
// SM89: error: 'attn.attention' op smooth_q is not supported yet by the kernel templates
// expected-error @+1 {{smooth_q is not supported yet by the kernel templates}}
attn.attention @smooth_q <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = true, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// SM89: error: 'attn.attention' op the wgmma mainloop needs sm_90a, target is sm_89
// expected-error @+1 {{the wgmma mainloop has no int4 operands; int4 QK needs the mma_sync mainloop}}
attn.attention @int4_wgmma <qk = int4, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> mainloop = wgmma

// -----

// A user's wgmma choice is legal on sm_90a only.
// SM89: error: 'attn.attention' op the wgmma mainloop needs sm_90a, target is sm_89
attn.attention @user_wgmma <qk = int8, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> mainloop = wgmma
