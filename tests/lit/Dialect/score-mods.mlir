// RUN: attngen-opt %s | FileCheck %s
// RUN: attngen-opt %s | attngen-opt | FileCheck %s
// RUN: attngen-opt %s --mlir-print-op-generic | attngen-opt | FileCheck %s
// RUN: attngen-opt %s --attn-canonicalize --attn-specialize-target=arch=sm_90a --attn-select-tiles --attn-lower-to-plan | FileCheck %s --check-prefix=PLAN
//
// Score modifiers of attn.variant: `window = (left, right)`, `softcap` and
// `bias` print only when set, in that place, and round-trip; a variant
// without them prints as before. On sm_90a a window and ALiBi run on wgmma, a
// soft cap too (all modifiers run on both mainloops).

// CHECK-LABEL: attn.attention @swa
// CHECK-SAME: mask = causal, window = (4096, 0), head_dim = 128,
// CHECK-NOT: softcap
attn.attention @swa <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = true, mask = causal, window = (4096, 0), head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// CHECK-LABEL: attn.attention @two_sided
// CHECK-SAME: mask = none, window = (256, 128), head_dim = 64,
attn.attention @two_sided <window = (256, 128), qk = int8, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = true, mask = none, head_dim = 64, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// CHECK-LABEL: attn.attention @gemma
// CHECK-SAME: mask = causal, window = (4096, 0), softcap = 5.000000e+01, head_dim = 128,
attn.attention @gemma <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = true, mask = causal, softcap = 50.0, window = (4096, 0), head_dim = 128, layout = bhnd, gqa = 2, input = bf16, output = bf16, lse = true>

// CHECK-LABEL: attn.attention @alibi
// CHECK-SAME: mask = causal, bias = alibi, head_dim = 128,
attn.attention @alibi <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = true, mask = causal, bias = alibi, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// CHECK-LABEL: attn.attention @lowrank
// CHECK-SAME: mask = none, bias = lowrank(24), head_dim = 128,
attn.attention @lowrank <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = true, mask = none, bias = lowrank(24), head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// CHECK-LABEL: attn.attention @dense
// CHECK-SAME: mask = causal, bias = dense, head_dim = 64,
attn.attention @dense <qk = int8, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = true, mask = causal, bias = dense, head_dim = 64, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// Defaults written out are the same as absent: nothing extra is printed.
// CHECK-LABEL: attn.attention @defaults
// CHECK-SAME: mask = none, head_dim = 128,
// CHECK-NOT: window
attn.attention @defaults <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = true, mask = none, window = (-1, -1), softcap = 0.0, bias = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// PLAN-LABEL: attn.plan @swa
// PLAN-SAME: window = (4096, 0)
// PLAN-SAME: target = "sm_90a" mainloop = wgmma
// PLAN-NOT: quant_q
// PLAN-LABEL: attn.plan @two_sided
// PLAN-SAME: mainloop = wgmma
// PLAN-LABEL: attn.plan @gemma
// PLAN-SAME: softcap = 5.000000e+01
// PLAN-SAME: mainloop = wgmma
// PLAN-LABEL: attn.plan @alibi
// PLAN-SAME: bias = alibi
// PLAN-SAME: mainloop = wgmma
// PLAN-LABEL: attn.plan @lowrank
// PLAN-SAME: bias = lowrank(24)
// PLAN-SAME: mainloop = wgmma
// PLAN-LABEL: attn.plan @dense
// PLAN-SAME: bias = dense
// PLAN-SAME: mainloop = wgmma
// PLAN-LABEL: attn.plan @defaults
// PLAN-SAME: mainloop = wgmma
