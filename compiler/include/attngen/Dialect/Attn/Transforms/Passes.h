//===- Passes.h - Passes of the attn dialect ---------------------*- C++ -*-===//
#ifndef ATTNGEN_DIALECT_ATTN_TRANSFORMS_PASSES_H
#define ATTNGEN_DIALECT_ATTN_TRANSFORMS_PASSES_H

#include "attngen/Dialect/Attn/IR/Attn.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>
#include <string>

namespace mlir::attn {

#define GEN_PASS_DECL
#include "attngen/Dialect/Attn/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attngen/Dialect/Attn/Transforms/Passes.h.inc"

} // namespace mlir::attn

#endif // ATTNGEN_DIALECT_ATTN_TRANSFORMS_PASSES_H
