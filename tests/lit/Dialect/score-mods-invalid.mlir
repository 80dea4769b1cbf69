// RUN: attngen-opt %s --split-input-file --verify-diagnostics
//
// The verifier's rules for the score modifiers of attn.variant.

// expected-error @+1 {{window sides must be -1 (unbounded) or >= 0, got (-2, 0)}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, window = (-2, 0), head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{with mask = causal the window's right side must be 0, got 16}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = causal, window = (128, 16), head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{softcap must be a finite number > 0 (0: none), got -5}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, softcap = -5.0, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{unknown bias 'relative'}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, bias = relative, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>


// -----

// expected-error @+1 {{lowrank bias rank must be in [1, 64], got 65}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, bias = lowrank(65), head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{expected '('}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, bias = lowrank, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

