//===- AttnOps.td - Operations of the attn dialect ---------*- tablegen -*-===//
#ifndef ATTNGEN_DIALECT_ATTN_IR_ATTNOPS_TD
#define ATTNGEN_DIALECT_ATTN_IR_ATTNOPS_TD

include "attngen/Dialect/Attn/IR/AttnBase.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/SymbolInterfaces.td"

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

def Attn_AttentionOp : Attn_Op<"attention", [Symbol]> {
  let summary = "one attention variant, before or during specialization";
  let description = [{
    Describes one attention variant. MLIRGen creates it from an
    `attngen::Variant`; `attn-specialize-target` adds `target` and
    `mainloop`, `attn-select-tiles` adds `tiles` (a user or the tuner may
    give `tiles` up front), and `attn-lower-to-plan` replaces it with an
    `attn.plan`. The verifier checks the variant (through its attribute)
    and, when present, the target, the mainloop and the tiles.

    ```mlir
    attn.attention @sage2 <qk = int8, pv = e4m3, q = warp, k = block,
        v = channel, smooth_q = false, smooth_k = true, smooth_v = false,
        balance = true, mask = causal, head_dim = 128, layout = bhnd, gqa = 1, input = bf16,
        output = bf16, lse = false>
        target = "sm_90a" mainloop = wgmma
        tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2>
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       Attn_VariantAttr:$variant,
                       OptionalAttr<StrAttr>:$target,
                       OptionalAttr<Attn_MainloopAttr>:$mainloop,
                       OptionalAttr<Attn_TilesAttr>:$tiles);
  let assemblyFormat = [{
    $sym_name $variant (`target` `=` $target^)? (`mainloop` `=` `` $mainloop^)?
    (`tiles` `=` $tiles^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Attn_PlanOp : Attn_Op<"plan", [Symbol, SymbolTable, NoTerminator,
                                   SingleBlock, NoRegionArguments,
                                   IsolatedFromAbove]> {
  let summary = "the kernel plan of one variant for one target";
  let description = [{
    The result of `attn-lower-to-plan`: the variant, the target, the mainloop
    family, the attention tiles and the KVStats chunk, with the kernels to
    launch, in launch order, as `attn.kernel` ops in its body. Plan
    extraction turns it into an `attngen::KernelPlan`.

    ```mlir
    attn.plan @sage2 <qk = int8, ...> target = "sm_90a" mainloop = wgmma
        tiles = <block_m = 128, block_n = 128, warps = 12, stages = 2>
        kv_chunk = 1024 {
      attn.kernel @attngen_kv_stats role = kv_stats threads = 256 smem_bytes = 0
      attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
      attn.kernel @attngen_quant_q role = quant_q threads = 256 smem_bytes = 0
      attn.kernel @attngen_attention role = attention threads = 384 smem_bytes = 98304
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       Attn_VariantAttr:$variant,
                       StrAttr:$target,
                       Attn_MainloopAttr:$mainloop,
                       Attn_TilesAttr:$tiles,
                       I32Attr:$kv_chunk);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name $variant `target` `=` $target `mainloop` `=` `` $mainloop
    `tiles` `=` $tiles `kv_chunk` `=` $kv_chunk attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def Attn_KernelOp : Attn_Op<"kernel", [Symbol, HasParent<"PlanOp">]> {
  let summary = "one kernel launch of a plan";
  let description = [{
    A kernel of the enclosing plan: its role (from which the launcher derives
    the grid), the `extern "C"` symbol of the emitted module, the threads per
    CTA and the dynamic shared memory per CTA.

    ```mlir
    attn.kernel @attngen_quant_kv role = quant_kv threads = 256 smem_bytes = 0
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       Attn_KernelRoleAttr:$role,
                       I32Attr:$threads,
                       I32Attr:$smem_bytes);
  let assemblyFormat = [{
    $sym_name `role` `=` `` $role `threads` `=` $threads
    `smem_bytes` `=` $smem_bytes attr-dict
  }];
  let hasVerifier = 1;
}

#endif // ATTNGEN_DIALECT_ATTN_IR_ATTNOPS_TD
