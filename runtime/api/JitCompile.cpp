//===- JitCompile.cpp - Runtime::get: variant -> plan -> kernel -----------===//
//
// The only part of the JIT that needs the MLIR pipeline; in a build without
// it (ATTNGEN_ENABLE_MLIR=OFF) get() says to load a kernel package instead.
//
//===----------------------------------------------------------------------===//

#include "attngen/runtime/Jit.h"

#include "attngen/Codegen/EmitCuda.h"

#ifdef ATTNGEN_HAS_COMPILER
#include "attngen/Pipeline/Compiler.h"
#endif

#include <fmt/format.h>

namespace attngen {

Expected<std::shared_ptr<Kernel>> Runtime::get(const Variant &variant,
                                               std::optional<Target> target) {
  if (!target) {
    auto detected = detectTarget();
    if (!detected)
      return Error{"no target given and none detected: " + detected.message()};
    target = *detected;
  }
  bool withLineInfo;
  {
    std::lock_guard<std::mutex> lock(mutex);
    withLineInfo = lineInfo;
    for (const VariantEntry &e : byVariant)
      if (e.variant == variant && e.target == *target && e.lineInfo == withLineInfo) {
        stats::recordMemory(true);
        return e.kernel;
      }
  }
#ifdef ATTNGEN_HAS_COMPILER
  CompileOptions options;
  options.target = *target;
  auto compiled = compileToPlan(variant, options);
  if (const auto *err = std::get_if<CompileError>(&compiled))
    return Error{fmt::format("variant '{}' for {}: {}", variant.name, target->name(),
                             err->message)};
  const KernelPlan &plan = std::get<CompileResult>(compiled).plan;
  auto kernel = load(plan, emitCuda(plan));
  if (!kernel)
    return kernel;
  std::lock_guard<std::mutex> lock(mutex);
  byVariant.push_back(VariantEntry{variant, *target, withLineInfo, *kernel});
  return kernel;
#else
  return Error{fmt::format("variant '{}': this build of attngen has no compiler (built with "
                           "ATTNGEN_ENABLE_MLIR=OFF); emit a kernel package with `attngen emit "
                           "--package DIR` on a full build and load it with loadPackage",
                           variant.name)};
#endif
}

} // namespace attngen
