//===- Attn.h - The attn dialect: enums, attributes, ops, legality -*- C++ -*-===//
//
// The legality helpers below hold every rule (and its message) that involves a
// target, a mainloop or tiles; op verifiers and passes both call them, so a
// rule is written once whichever stage catches it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_DIALECT_ATTN_IR_ATTN_H
#define ATTNGEN_DIALECT_ATTN_IR_ATTN_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"

#include <optional>

#include "attngen/Dialect/Attn/IR/AttnEnums.h.inc"

namespace attngen {
struct Target;
} // namespace attngen

namespace mlir::attn {

/// The parameters of `#attn.variant` as a plain struct, to edit and rebuild.
struct VariantFields {
  DType qk = DType::I8;
  DType pv = DType::E4M3;
  Granularity qGranularity = Granularity::Warp;
  Granularity kGranularity = Granularity::Block;
  Granularity vGranularity = Granularity::Channel;
  bool smoothQ = false;
  bool smoothK = true;
  bool smoothV = false;
  bool balance = true;
  MaskKind mask = MaskKind::None;
  int windowLeft = -1;  ///< -1: unbounded (attngen::Variant::window_left)
  int windowRight = -1; ///< -1: unbounded
  double softcap = 0;   ///< 0: no cap
  BiasKind bias = BiasKind::None;
  int biasRank = 0; ///< R of bias = lowrank(R), else 0
  int headDim = 128;
  Layout layout = Layout::BHND;
  int gqa = 1;
  DType input = DType::BF16;
  DType output = DType::BF16;
  bool lse = false;
  std::optional<double> scale;
};

} // namespace mlir::attn

#define GET_ATTRDEF_CLASSES
#include "attngen/Dialect/Attn/IR/AttnAttrs.h.inc"

#include "attngen/Dialect/Attn/IR/AttnDialect.h.inc"

#define GET_OP_CLASSES
#include "attngen/Dialect/Attn/IR/AttnOps.h.inc"

namespace mlir::attn {

using EmitErrorFn = llvm::function_ref<InFlightDiagnostic()>;

/// `attngen::dt` / `attngen::gran` codes of templates/attngen/kernel/config.h
/// (the enums share their values; AttnDialect.cpp static_asserts it).
int toDtCode(DType t);
int toGranCode(Granularity g);
/// The `mainloop` argument of selectTileSize / attentionSmemBytes.
int toMainloopCode(Mainloop m);

bool is8Bit(DType t);
bool is16BitFloat(DType t);

/// Target-independent rules (also the verifier of #attn.variant).
LogicalResult verifyVariant(EmitErrorFn emitError, const VariantFields &v);

/// Parses `target` (sm_80, sm_86, sm_89, sm_90, sm_90a) or reports it.
FailureOr<attngen::Target> parseTarget(EmitErrorFn emitError, StringRef target);

/// Rules that involve the target and, when given, the mainloop.
LogicalResult verifyTargetLegality(EmitErrorFn emitError, const VariantFields &v,
                                   const attngen::Target &target,
                                   std::optional<Mainloop> mainloop);

/// The mainloop a variant gets on a target when nobody chose one.
Mainloop pickMainloop(const VariantFields &v, const attngen::Target &target);

/// Dynamic shared memory of the attention kernel for these tiles.
int attentionSmemBytes(const VariantFields &v, Mainloop m, TilesAttr tiles);
/// Shared memory an sm_80+ CTA may use (227 KB on sm_90, the largest).
inline constexpr int kMaxSmemBytes = 227 * 1024;

/// Tile legality for a mainloop (row multiples, warpgroups, shared memory).
LogicalResult verifyTilesLegality(EmitErrorFn emitError, const VariantFields &v,
                                  Mainloop m, TilesAttr tiles);

/// Symbol of the kernel of `role` in the emitted module.
StringRef kernelSymbol(KernelRole role);

/// The kernels a plan of this variant launches, in launch order (no QuantQ
/// for wgmma: that kernel quantizes Q itself).
SmallVector<KernelRole> planRoles(const VariantFields &v, Mainloop mainloop);

} // namespace mlir::attn

#endif // ATTNGEN_DIALECT_ATTN_IR_ATTN_H
