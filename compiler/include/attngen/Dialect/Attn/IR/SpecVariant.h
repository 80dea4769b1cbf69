//===- SpecVariant.h - #attn.variant fields -> attngen::Variant -*- C++ -*-===//
//
// Passes that call MLIR-free code keyed on an attngen::Variant (the tuning
// database) convert the op's variant with this one function.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_DIALECT_ATTN_IR_SPECVARIANT_H
#define ATTNGEN_DIALECT_ATTN_IR_SPECVARIANT_H

#include "attngen/Dialect/Attn/IR/Attn.h"
#include "attngen/Spec/Variant.h"

namespace mlir::attn {

/// The attngen::Variant of `f`, named `name`.
attngen::Variant toSpecVariant(const VariantFields &f, llvm::StringRef name);

} // namespace mlir::attn

#endif // ATTNGEN_DIALECT_ATTN_IR_SPECVARIANT_H
