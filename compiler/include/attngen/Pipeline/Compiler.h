//===- Compiler.h - Variant -> KernelPlan through the attn dialect -*- C++ -*-===//
//
// The MLIR-free facade of the compiler: MLIRGen (one `attn.attention` op from
// a Variant), the pass pipeline (attn-canonicalize, attn-specialize-target,
// attn-select-tiles, attn-lower-to-plan) and plan extraction (`attn.plan` ->
// KernelPlan). No MLIR type appears here, so the CLI and the runtime include
// it without MLIR headers.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_PIPELINE_COMPILER_H
#define ATTNGEN_PIPELINE_COMPILER_H

#include "attngen/Spec/Plan.h"
#include "attngen/Spec/Variant.h"
#include "attngen/Tuning/TuneSpace.h"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace attngen {

struct CompileOptions {
  Target target;
  /// Tiles chosen by a user or the tuner; checked, not replaced.
  std::optional<Tiles> tiles;
  /// Run the verifiers after every pass (cheap; off only to time passes).
  bool verifyEach = true;
  /// Tuning database attn-select-tiles reads when `tiles` is unset (empty:
  /// none), and the shape its lookup buckets (docs/TUNING.md).
  std::string tuningDb = {};
  std::optional<ShapeHint> shape = std::nullopt;
};

struct CompileResult {
  /// Its variant is the canonical one (explicit scale, ignored fields reset).
  KernelPlan plan;
  std::string inputIR; ///< the module MLIRGen built
  std::string planIR;  ///< the module after the pipeline
  std::string notes;   ///< the pipeline's warnings and remarks (tuning database)
};

struct CompileError {
  std::string message; ///< the verifier / pass diagnostics, one per line
};

/// Runs the whole pipeline; never aborts on a bad variant or target.
std::variant<CompileResult, CompileError> compileToPlan(const Variant &variant,
                                                        const CompileOptions &options);

/// MLIRGen alone: the textual module holding one `attn.attention`.
std::string variantToIR(const Variant &variant);

/// Plan extraction alone: parses a module holding exactly one `attn.plan`
/// (e.g. a CompileResult::planIR, or hand-written) into a KernelPlan.
std::variant<KernelPlan, CompileError> planFromIR(std::string_view planIR);

} // namespace attngen

#endif // ATTNGEN_PIPELINE_COMPILER_H
