// attn-select-tiles with a tuning database that has nothing usable: a missing
// file is an empty database (no diagnostic), a corrupt one and a stale entry
// are warnings, and the heuristic tiles are chosen. (Valid entries are tested
// through compileToPlan in tests/unit/mlir/TuningLookupTest.cpp: an entry
// carries this build's generator version, which a fixed file cannot.)
//
// RUN: attngen-opt %s --attn-select-tiles="tuning-db=%t.missing.json shape=1,32,16384" 2>&1 | FileCheck %s --check-prefixes=CHECK,MISSING
// RUN: printf '{ "format": "attngen-tuning", ' > %t.corrupt.json
// RUN: attngen-opt %s --attn-select-tiles="tuning-db=%t.corrupt.json" 2>&1 | FileCheck %s --check-prefixes=CORRUPT,CHECK
// RUN: attngen-opt %s --attn-select-tiles="tuning-db=%S/Inputs/stale-tuning.json shape=1,32,16384" 2>&1 | FileCheck %s --check-prefixes=STALE,CHECK
// RUN: attngen-opt %s --attn-select-tiles="tuning-db=%t.missing.json shape=1,32" 2>&1 | FileCheck %s --check-prefixes=BADSHAPE,CHECK

// MISSING-NOT: warning
// CORRUPT: warning: {{.*}}corrupt.json: ignored (corrupt: bad JSON at byte {{[0-9]+}}: {{.*}}); every bucket will be re-tuned
// STALE: warning: {{.*}}stale-tuning.json: entry 0 (sm_90a nq16384.nk16384 qk = int8; pv = e4m3;) dropped (stale: tuned by generator 'attngen-0.0.1+templates.0123456789abcdef', this is '{{.*}}'); it will be re-tuned
// BADSHAPE: warning: shape hint ignored: bad shape '1,32'
// (A warning at the op's location quotes its source line: match the output.)
// CHECK: module {
// CHECK-NEXT: attn.attention @wgmma_d128
// CHECK-SAME: tiles = <block_m = 128, block_n = 128, warps = 12, stages = 3>
// CHECK-NOT: attn.kv_chunk
attn.attention @wgmma_d128 <qk = int8, pv = e4m3, q = warp, k = block, v = channel, smooth_q = false, smooth_k = true, smooth_v = false, balance = false, mask = causal, head_dim = 128, layout = bhnd, gqa = 1, input = bf16, output = bf16, lse = false> target = "sm_90a" mainloop = wgmma
