// Each chunk is specialized on its own, so a variant illegal on a target
// reports its error and the others still print.
// RUN: not attngen-opt %s --split-input-file --attn-specialize-target=arch=sm_80 2>/dev/null | FileCheck %s --check-prefix=SM80
// RUN: not attngen-opt %s --split-input-file --attn-specialize-target=arch=sm_80 2>&1 >/dev/null | FileCheck %s --check-prefix=SM80-ERR
// RUN: attngen-opt %s --split-input-file --pass-pipeline="builtin.module(attn-specialize-target{arch=sm_89})" | FileCheck %s --check-prefix=SM89
// RUN: attngen-opt %s --split-input-file --attn-specialize-target=arch=sm_90 | FileCheck %s --check-prefix=SM90
// RUN: attngen-opt %s --split-input-file --attn-specialize-target | FileCheck %s --check-prefix=SM90A

// SM80-ERR: error: 'attn.attention' op e4m3 (fp8) operands need sm_89 or newer, target is sm_80
// SM89-LABEL: attn.attention @int8_fp8
// SM89-SAME: target = "sm_89" mainloop = mma_sync
// SM90-LABEL: attn.attention @int8_fp8
// SM90-SAME: target = "sm_90" mainloop = mma_sync
// SM90A-LABEL: attn.attention @int8_fp8
// SM90A-SAME: target = "sm_90a" mainloop = wgmma
attn.attention @int8_fp8 <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = causal, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// SM80-LABEL: attn.attention @int8_f16
// SM80-SAME: target = "sm_80" mainloop = mma_sync
// SM89-LABEL: attn.attention @int8_f16
// SM89-SAME: target = "sm_89" mainloop = mma_sync
// SM90A-LABEL: attn.attention @int8_f16
// SM90A-SAME: target = "sm_90a" mainloop = wgmma
attn.attention @int8_f16 <qk = int8, pv = f16, q = token, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = f16, output = f16, lse = false>

// -----

// int4 has no wgmma: mma_sync even on sm_90a.
// SM80-ERR: error: 'attn.attention' op e4m3 (fp8) operands need sm_89 or newer, target is sm_80
// SM89-LABEL: attn.attention @int4_fp8
// SM89-SAME: target = "sm_89" mainloop = mma_sync
// SM90A-LABEL: attn.attention @int4_fp8
// SM90A-SAME: target = "sm_90a" mainloop = mma_sync
attn.attention @int4_fp8 <qk = int4, pv = e4m3, q = thread, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// SM80-LABEL: attn.attention @int4_int8
// SM80-SAME: target = "sm_80" mainloop = mma_sync
// SM90A-LABEL: attn.attention @int4_int8
// SM90A-SAME: target = "sm_90a" mainloop = mma_sync
attn.attention @int4_int8 <qk = int4, pv = int8, q = warp, k = warp, v = channel, smooth_q = false, smooth_k = false, smooth_v = true, balance = false, mask = none, head_dim = 64, layout = bnhd, gqa = 2, input = bf16, output = f32, lse = true>

// -----

// head_dim 256: the wgmma mainloop runs 64 and 128 only, so mma_sync on sm_90a too.
// SM80-LABEL: attn.attention @bf16
// SM80-SAME: target = "sm_80" mainloop = mma_sync
// SM90-LABEL: attn.attention @bf16
// SM90-SAME: target = "sm_90" mainloop = mma_sync
// SM90A-LABEL: attn.attention @bf16
// SM90A-SAME: target = "sm_90a" mainloop = mma_sync
attn.attention @bf16 <qk = bf16, pv = bf16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = false, smooth_v = false, balance = false, mask = causal, head_dim = 256, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// A mainloop already chosen (by a user) is kept when legal.
// SM80-LABEL: attn.attention @user_mma_sync
// SM80-SAME: target = "sm_80" mainloop = mma_sync
// SM90A-LABEL: attn.attention @user_mma_sync
// SM90A-SAME: target = "sm_90a" mainloop = mma_sync
attn.attention @user_mma_sync <qk = int8, pv = int8, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> mainloop = mma_sync
