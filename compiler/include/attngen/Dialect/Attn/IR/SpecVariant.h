//===- SpecVariant.h - #attn.variant fields <-> attngen::Variant -*- C++ -*-===//
//
// The one conversion between the dialect's variant fields and the MLIR-free
// attngen::Variant, both ways: MLIRGen (Pipeline/Compiler.cpp), plan
// extraction, and passes that call MLIR-free code keyed on a Variant (the
// tuning database).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_DIALECT_ATTN_IR_SPECVARIANT_H
#define ATTNGEN_DIALECT_ATTN_IR_SPECVARIANT_H

#include "attngen/Dialect/Attn/IR/Attn.h"
#include "attngen/Spec/Variant.h"

namespace mlir::attn {

/// The attngen::Variant of `f`, named `name`.
attngen::Variant toSpecVariant(const VariantFields &f, llvm::StringRef name);
VariantFields toVariantFields(const attngen::Variant &v);

} // namespace mlir::attn

#endif // ATTNGEN_DIALECT_ATTN_IR_SPECVARIANT_H
