//===- AttnBase.td - The attn dialect, its enums and attributes -*- tablegen -*-===//
//
// The `attn` dialect describes one quantized attention variant and the kernel
// plan it lowers to. Enum values mirror the `attngen::dt` / `attngen::gran`
// codes of templates/attngen/kernel/config.h so that a pass can hand them to
// the constexpr tile heuristics unchanged (AttnDialect.cpp static_asserts it).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_DIALECT_ATTN_IR_ATTNBASE_TD
#define ATTNGEN_DIALECT_ATTN_IR_ATTNBASE_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/DialectBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Quantized attention variants and their kernel plans";
  let description = [{
    An `attn.attention` op describes what a user asks for (operand types of
    the two matmuls, quantization granularity, smoothing, mask, shape facts);
    passes attach a target, pick the mainloop and the tiles, and lower it to
    an `attn.plan` holding the ordered list of `attn.kernel` launches.
  }];
  let useDefaultAttributePrinterParser = 1;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

// `int8` rather than `i8`: the MLIR lexer reads `i8` as an integer type token,
// not as a keyword, so it could not be parsed back as an enum case.
def Attn_DType : I32EnumAttr<"DType", "element type", [
    I32EnumAttrCase<"I4", 0, "int4">,
    I32EnumAttrCase<"I8", 1, "int8">,
    I32EnumAttrCase<"E4M3", 2, "e4m3">,
    I32EnumAttrCase<"F16", 3, "f16">,
    I32EnumAttrCase<"BF16", 4, "bf16">,
    I32EnumAttrCase<"F32", 5, "f32">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_Granularity : I32EnumAttr<"Granularity", "quantization granularity", [
    I32EnumAttrCase<"Tensor", 0, "tensor">,
    I32EnumAttrCase<"Block", 1, "block">,
    I32EnumAttrCase<"Warp", 2, "warp">,
    I32EnumAttrCase<"Thread", 3, "thread">,
    I32EnumAttrCase<"Token", 4, "token">,
    I32EnumAttrCase<"Channel", 5, "channel">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_MaskKind : I32EnumAttr<"MaskKind", "attention mask", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Causal", 1, "causal">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_BiasKind : I32EnumAttr<"BiasKind", "bias generated in the kernel", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Alibi", 1, "alibi">,
    I32EnumAttrCase<"LowRank", 2, "lowrank">,
    I32EnumAttrCase<"Dense", 3, "dense">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_Layout : I32EnumAttr<"Layout", "memory layout of Q, K, V and O", [
    I32EnumAttrCase<"BHND", 0, "bhnd">,
    I32EnumAttrCase<"BNHD", 1, "bnhd">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_Mainloop : I32EnumAttr<"Mainloop", "attention mainloop family", [
    I32EnumAttrCase<"MmaSync", 0, "mma_sync">,
    I32EnumAttrCase<"Wgmma", 1, "wgmma">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_KernelRole : I32EnumAttr<"KernelRole", "role of a kernel in a plan", [
    I32EnumAttrCase<"KVStats", 0, "kv_stats">,
    I32EnumAttrCase<"QuantKV", 1, "quant_kv">,
    I32EnumAttrCase<"QuantQ", 2, "quant_q">,
    I32EnumAttrCase<"Attention", 3, "attention">]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class Attn_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Attn_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

// Printed bare (`wgmma`, `kv_stats`) inside op assembly formats (which put
// "``" before them: the attribute prints its own leading space).
def Attn_MainloopAttr : EnumAttr<Attn_Dialect, Attn_Mainloop, "mainloop"> {
  let assemblyFormat = "$value";
}
def Attn_KernelRoleAttr : EnumAttr<Attn_Dialect, Attn_KernelRole, "role"> {
  let assemblyFormat = "$value";
}

def Attn_TilesAttr : Attn_Attr<"Tiles", "tiles"> {
  let summary = "tile configuration of the attention kernel";
  let description = [{
    Query rows per CTA (`block_m`), key tokens per mainloop iteration
    (`block_n`), warps per CTA and the depth of the K/V shared-memory
    pipeline. Chosen by `attn-select-tiles` or given by a user / the tuner.

    ```mlir
    #attn.tiles<block_m = 128, block_n = 128, warps = 12, stages = 2>
    ```
  }];
  let parameters = (ins "int":$block_m, "int":$block_n, "int":$warps,
                        "int":$stages);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_VariantAttr : Attn_Attr<"Variant", "variant"> {
  let summary = "one attention variant";
  let description = [{
    Everything a variant fixes before a target is known. Every field is
    printed; `scale` is optional (absent: 1/sqrt(head_dim), made explicit by
    `attn-canonicalize`). The score modifiers `window = (left, right)`,
    `softcap` and `bias` (`alibi`, `lowrank(R)`) are printed only when set
    (absent: no window, no cap, no bias), so variants without them print as before. The verifier checks the target-independent rules
    (see docs/DIALECT.md).

    ```mlir
    #attn.variant<qk = int8, pv = e4m3, q = warp, k = block, v = channel,
                  smooth_q = false, smooth_k = true, smooth_v = false,
                  balance = true, mask = causal, head_dim = 128, layout = bhnd, gqa = 1,
                  input = bf16, output = bf16, lse = false, scale = 0.125>
    ```
  }];
  let parameters = (ins
    EnumParameter<Attn_DType>:$qk,
    EnumParameter<Attn_DType>:$pv,
    EnumParameter<Attn_Granularity>:$q_granularity,
    EnumParameter<Attn_Granularity>:$k_granularity,
    EnumParameter<Attn_Granularity>:$v_granularity,
    "bool":$smooth_q,
    "bool":$smooth_k,
    "bool":$smooth_v,
    // Exact Q/K channel balancing (8-bit / 4-bit QK; see docs/DSL.md).
    "bool":$balance,
    EnumParameter<Attn_MaskKind>:$mask,
    // Sliding window sides (-1: unbounded) and the logit soft cap (0: none).
    "int":$window_left,
    "int":$window_right,
    // A null FloatAttr (f64) when there is no cap.
    "::mlir::FloatAttr":$softcap,
    EnumParameter<Attn_BiasKind>:$bias,
    // The rank R of bias = lowrank(R); 0 for the other biases.
    "int":$bias_rank,
    "int":$head_dim,
    EnumParameter<Attn_Layout>:$layout,
    "int":$gqa,
    EnumParameter<Attn_DType>:$input,
    EnumParameter<Attn_DType>:$output,
    "bool":$lse,
    // A null FloatAttr (f64) when the default scale applies.
    "::mlir::FloatAttr":$scale);
  let builders = [
    AttrBuilder<(ins "const ::mlir::attn::VariantFields &":$f), [{
      return $_get($_ctxt, f.qk, f.pv, f.qGranularity, f.kGranularity,
                   f.vGranularity, f.smoothQ, f.smoothK, f.smoothV, f.balance, f.mask,
                   f.windowLeft, f.windowRight,
                   f.softcap != 0 ? ::mlir::FloatAttr::get(
                                        ::mlir::Float64Type::get($_ctxt), f.softcap)
                                  : ::mlir::FloatAttr(),
                   f.bias, f.biasRank, f.headDim, f.layout, f.gqa, f.input, f.output, f.lse,
                   f.scale ? ::mlir::FloatAttr::get(
                                 ::mlir::Float64Type::get($_ctxt), *f.scale)
                           : ::mlir::FloatAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    /// The fields as a plain struct (to edit a copy and rebuild).
    ::mlir::attn::VariantFields getFields() const;
  }];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // ATTNGEN_DIALECT_ATTN_IR_ATTNBASE_TD
