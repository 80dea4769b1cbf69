// RUN: attngen-opt %s --split-input-file --verify-diagnostics
//
// One case per verifier message of the attn dialect (docs/DIALECT.md lists
// the rules); `attn-specialize-target`'s smooth_q rejection is tested in
// Transforms/attn-specialize-target.mlir.

// expected-error @+1 {{head_dim must be a positive multiple of 16 and at most 256, got 100}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 100, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{head_dim must be a positive multiple of 16 and at most 256, got 272}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 272, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{head_dim must be a positive multiple of 16 and at most 256, got 0}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 0, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{qk operand type f32 is not supported (expected int4, int8, e4m3, f16 or bf16)}}
attn.attention @a <qk = f32, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{int4 PV is not supported}}
attn.attention @a <qk = int8, pv = int4, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{pv operand type f32 is not supported (expected int8, e4m3, f16 or bf16)}}
attn.attention @a <qk = int8, pv = f32, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{8-bit QK (int8) needs head_dim to be a multiple of 32, got 48}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 48, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{8-bit QK (e4m3) needs head_dim to be a multiple of 32, got 80}}
attn.attention @a <qk = e4m3, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 80, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{int4 QK needs head_dim to be a multiple of 64, got 96}}
attn.attention @a <qk = int4, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 96, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{gqa must be at least 1, got 0}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 0, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{scale must be positive, got}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false, scale = -1.0>

// -----

// expected-error @+1 {{scale must be positive, got 0}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false, scale = 0.0>

// -----

// expected-error @+1 {{input must be f16 or bf16, got f32}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = f32, output = bf16, lse = false>

// -----

// expected-error @+1 {{input must be f16 or bf16, got int8}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = int8, output = bf16, lse = false>

// -----

// expected-error @+1 {{output must be f16, bf16 or f32, got e4m3}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = e4m3, lse = false>

// -----

// expected-error @+1 {{q granularity cannot be channel (per-channel scales are for V)}}
attn.attention @a <qk = int8, pv = e4m3, q = channel, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{q granularity cannot be tensor: a per-tensor Q scale needs a global pass over Q}}
attn.attention @a <qk = int8, pv = e4m3, q = tensor, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{k granularity cannot be channel (per-channel scales are for V)}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = channel, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{v granularity must be channel for 8-bit PV, got token}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = token, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{v granularity must be channel for 8-bit PV, got block}}
attn.attention @a <qk = int8, pv = int8, q = warp, k = block, v = block, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{unknown variant field 'bits'}}
attn.attention @a <bits = 8>

// -----

// expected-error @+1 {{duplicate variant field 'qk'}}
attn.attention @a <qk = int8, qk = int8>

// -----

// expected-error @+1 {{variant is missing field 'lse'}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16>

// -----

// expected-error @+1 {{unknown dtype 'int2'}}
attn.attention @a <qk = int2, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>

// -----

// expected-error @+1 {{expected 'true' or 'false'}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = 1>

// -----

// expected-error @+1 {{e4m3 (fp8) operands need sm_89 or newer, target is sm_80}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_80"

// -----

// expected-error @+1 {{e4m3 (fp8) operands need sm_89 or newer, target is sm_86}}
attn.attention @a <qk = e4m3, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_86"

// -----

// expected-error @+1 {{the wgmma mainloop needs sm_90a, target is sm_89}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_89" mainloop = wgmma

// -----

// expected-error @+1 {{the wgmma mainloop needs sm_90a, target is sm_90}}
attn.attention @a <qk = int8, pv = int8, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90" mainloop = wgmma

// -----

// expected-error @+1 {{the wgmma mainloop has no int4 operands; int4 QK needs the mma_sync mainloop}}
attn.attention @a <qk = int4, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma

// -----

// expected-error @+1 {{unknown target 'sm_75' (expected sm_80, sm_86, sm_89, sm_90 or sm_90a)}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_75"

// -----

// expected-error @+1 {{wgmma tiles need block_m to be a multiple of 64, got 96}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> mainloop = wgmma tiles = <block_m = 96, block_n = 128, warps = 12, stages = 2>

// -----

// expected-error @+1 {{wgmma tiles need warps to be a multiple of 4 (whole warpgroups), got 6}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 6, stages = 2>

// -----

// expected-error @+1 {{mma_sync tiles need block_m to be a multiple of 16 * warps = 64, got 32}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> mainloop = mma_sync tiles = <block_m = 32, block_n = 64, warps = 4, stages = 2>

// -----

// expected-error @+1 {{block_n must be a multiple of 32, got 48}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> mainloop = mma_sync tiles = <block_m = 64, block_n = 48, warps = 4, stages = 2>

// -----

// expected-error-re @+1 {{tiles need {{[0-9]+}} bytes of shared memory, more than the 232448 available}}
attn.attention @a <qk = f16, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 4>

// -----

// expected-error @+1 {{wgmma tiles need block_m = 128 with 12 warps or 192 with 16 (1 producer + 2 or 3 consumer warpgroups), got block_m = 256 with 8 warps}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 64, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> mainloop = wgmma tiles = <block_m = 256, block_n = 64, warps = 8, stages = 3>

// -----

// expected-error @+1 {{three consumer warpgroups (16 warps) need head_dim = 64 or 128, 8-bit QK and e4m3 PV, got head_dim = 128, qk = f16, pv = f16}}
attn.attention @a <qk = f16, pv = f16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> mainloop = wgmma tiles = <block_m = 192, block_n = 128, warps = 16, stages = 3>

// -----

// expected-error @+1 {{three consumer warpgroups (16 warps) need head_dim = 64 or 128, 8-bit QK and e4m3 PV, got head_dim = 64, qk = int8, pv = int8}}
attn.attention @a <qk = int8, pv = int8, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 64, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> mainloop = wgmma tiles = <block_m = 192, block_n = 128, warps = 16, stages = 3>

// -----

// expected-error @+1 {{tiles must be positive, got block_m = 0, block_n = 64, warps = 4, stages = 2}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> tiles = <block_m = 0, block_n = 64, warps = 4, stages = 2>

// -----

// expected-error @+1 {{tiles may have at most 32 warps, got 40}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> tiles = <block_m = 640, block_n = 64, warps = 40, stages = 2>

// -----

// expected-error @+1 {{kv_chunk must be positive, got 0}}
attn.plan @p <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2> kv_chunk = 0 {
  attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
  attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
  attn.kernel @attngen_attention role = attention threads = 384 smem_bytes = 131072
}

// -----

// expected-error @+1 {{e4m3 (fp8) operands need sm_89 or newer, target is sm_80}}
attn.plan @p <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_80" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2> kv_chunk = 1024 {
  attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
  attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
  attn.kernel @attngen_attention role = attention threads = 384 smem_bytes = 131072
}

// -----

// expected-error @+1 {{kernels must be [kv_stats, quant_kv, attention] in this order for this variant, got [quant_kv, attention]}}
attn.plan @p <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2> kv_chunk = 1024 {
  attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
  attn.kernel @attngen_attention role = attention threads = 384 smem_bytes = 131072
}

// -----

// A wgmma plan quantizes Q inside attention: no quant_q kernel.
// expected-error @+1 {{kernels must be [kv_stats, quant_kv, attention] in this order for this variant, got [kv_stats, quant_q, quant_kv, attention]}}
attn.plan @p <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2> kv_chunk = 1024 {
  attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
  attn.kernel @attngen_quant_q role = quant_q threads = 256 smem_bytes = 0
  attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
  attn.kernel @attngen_attention role = attention threads = 384 smem_bytes = 131072
}

// -----

attn.plan @p <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2> kv_chunk = 1024 {
  attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
  attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
  // expected-error @+1 {{runs 256 threads but the plan's tiles have 12 warps (384 threads)}}
  attn.kernel @attngen_attention role = attention threads = 256 smem_bytes = 131072
}

// -----

attn.plan @p <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2> kv_chunk = 1024 {
  attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
  attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
  // expected-error-re @+1 {{has smem_bytes = 1024 but the plan's tiles need at least {{[0-9]+}}}}
  attn.kernel @attngen_attention role = attention threads = 384 smem_bytes = 1024
}

// -----

attn.plan @p <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2> kv_chunk = 1024 {
  // expected-error @+1 {{threads must be a positive multiple of 32 and at most 1024, got 100}}
  attn.kernel @attngen_kv_stats role = kv_stats threads = 100 smem_bytes = 0
  attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
  attn.kernel @attngen_attention role = attention threads = 384 smem_bytes = 131072
}

// -----

attn.plan @p <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2> kv_chunk = 1024 {
  attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
  // expected-error @+1 {{smem_bytes must be in [0, 232448], got -1}}
  attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = -1
  attn.kernel @attngen_attention role = attention threads = 384 smem_bytes = 131072
}

// -----

attn.plan @p <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2> kv_chunk = 1024 {
  attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
  attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
  attn.kernel @attngen_attention role = attention threads = 384 smem_bytes = 131072
  // expected-error @+1 {{cannot appear in an attn.plan (only attn.kernel ops can)}}
  attn.attention @inner <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>
}

// -----

// expected-error @+1 {{expects parent op 'attn.plan'}}
attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0

// -----

// expected-error @+1 {{the wgmma mainloop runs head_dim 64 or 128, got 256; the mma_sync mainloop runs the others}}
attn.attention @a <qk = bf16, pv = bf16, q = warp, k = block, v = channel, smooth_q = false, smooth_k = false, smooth_v = false, balance = false, mask = none, head_dim = 256, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma

// -----

// expected-error @+1 {{head_dim 96 is not implemented: the kernels run head_dim 64, 128 or 256}}
attn.attention @a <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = none, head_dim = 96, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false>
