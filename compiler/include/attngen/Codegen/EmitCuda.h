//===- EmitCuda.h - KernelPlan -> CUDA C++ over the device templates ------===//
//
// The emitter writes one translation unit per plan: the canonical variant as a
// comment, one `Cfg` struct holding every compile-time parameter the templates
// read (templates/attngen/kernel/config.h), and one `extern "C"` wrapper per
// kernel of the plan. It is deterministic: the same plan gives byte-identical
// source, which is what the runtime's cache key hashes.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_CODEGEN_EMITCUDA_H
#define ATTNGEN_CODEGEN_EMITCUDA_H

#include "attngen/Spec/Plan.h"

#include <string>

namespace attngen {

/// The `attngen::dt` / `attngen::gran` codes of templates/attngen/kernel/config.h.
int toDtCode(DType t);
int toGranCode(Granularity g);

/// The CUDA source of every kernel of `plan`.
std::string emitCuda(const KernelPlan &plan);

/// Version string of the generator, part of every cache key.
const char *generatorVersion();

} // namespace attngen

#endif // ATTNGEN_CODEGEN_EMITCUDA_H
