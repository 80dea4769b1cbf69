//===- Passes.td - Passes of the attn dialect ---------------*- tablegen -*-===//
//
// The pipeline runs them in this order. Each pass lives in the source file of
// its command-line name (attn-canonicalize -> AttnCanonicalize.cpp) and is
// tested by tests/lit/Transforms/<command-line name>.mlir.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_DIALECT_ATTN_TRANSFORMS_PASSES_TD
#define ATTNGEN_DIALECT_ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnCanonicalize : Pass<"attn-canonicalize", "::mlir::ModuleOp"> {
  let summary = "Make defaults explicit and normalize fields a variant ignores";
  let description = [{
    On every `attn.attention`: sets `scale` to 1/sqrt(head_dim) when absent;
    for 16-bit QK resets q/k granularity to warp/block and clears
    smooth_q/smooth_k/balance (nothing is quantized, so they cannot matter); for
    16-bit PV resets v granularity to channel and clears smooth_v. Two
    variants that compute the same thing thus print the same IR.
  }];
}

def AttnSpecializeTarget : Pass<"attn-specialize-target", "::mlir::ModuleOp"> {
  let summary = "Attach a target, check legality for it, pick the mainloop";
  let description = [{
    Sets `target` on every `attn.attention`, rejects what the target or the
    kernel templates cannot run, and picks `mainloop`: `wgmma` on sm_90a
    when both matmuls take 8- or 16-bit operands, else `mma_sync`. A
    mainloop already on the op (a user choice) is kept and checked.
  }];
  let options = [
    Option<"arch", "arch", "std::string", /*default=*/"\"sm_90a\"",
           "Target GPU: sm_80, sm_89, sm_90 or sm_90a">
  ];
}

def AttnSelectTiles : Pass<"attn-select-tiles", "::mlir::ModuleOp"> {
  let summary = "Choose the attention kernel's tiles";
  let description = [{
    Fills `tiles` from the tuning database when `tuning-db` names one with an
    entry for the variant and target (the bucket of `shape`, else the nearest
    tuned bucket, else without a shape the largest; docs/TUNING.md), also
    setting `attn.kv_chunk` for attn-lower-to-plan; otherwise from
    `attngen::selectTileSize` (templates/attngen/kernel/tile_size.h, the
    heuristic the templates static_assert against). A rejected database entry
    (corrupt, stale, illegal tiles) is a warning, never used. Tiles already on
    the op (user or tuner) are kept and checked for legality.
    Needs `mainloop` (run attn-specialize-target first).
  }];
  let options = [
    Option<"tuningDb", "tuning-db", "std::string", /*default=*/"\"\"",
           "Tuning database file (empty: none)">,
    Option<"shape", "shape", "std::string", /*default=*/"\"\"",
           "Problem shape hint B,H,N or B,Hq,Hkv,Nq,Nk (empty: none)">
  ];
}

def AttnLowerToPlan : Pass<"attn-lower-to-plan", "::mlir::ModuleOp"> {
  let summary = "Replace attn.attention by an attn.plan of kernel launches";
  let description = [{
    Emits, in launch order: `attngen_kv_stats` (when K or V smoothing, K
    per-tensor scales, Q/K balancing or 8-bit PV with per-channel V scales
    need channel statistics), `attngen_quant_kv`, `attngen_quant_q`, `attngen_attention`.
    Prologues run 256 threads without dynamic shared memory; the attention
    kernel runs warps*32 threads with attentionSmemBytes of the tiles.
    The KVStats chunk is the op's `attn.kv_chunk` (set by select-tiles from
    the tuning database), else 1024.
  }];
}

#endif // ATTNGEN_DIALECT_ATTN_TRANSFORMS_PASSES_TD
