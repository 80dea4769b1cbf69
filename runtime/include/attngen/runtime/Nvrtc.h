//===- Nvrtc.h - CUDA C++ -> cubin + PTX with NVRTC -------------*- C++ -*-===//
//
// Compiles one generated translation unit with every device template handed
// to NVRTC as an in-memory header (TemplateBundle.h): nothing is looked up on
// disk. Fast-math stays off: the kernels are IEEE except where a template
// calls an intrinsic on purpose, and the CPU emulation relies on that.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_NVRTC_H
#define ATTNGEN_RUNTIME_NVRTC_H

#include "attngen/Spec/Plan.h"
#include "attngen/runtime/Error.h"

#include <string>
#include <vector>

namespace attngen {

struct NvrtcOptions {
  Target target;
  bool lineInfo = false;           ///< -lineinfo (profilers map SASS to source)
  std::vector<std::string> extra;  ///< appended verbatim
};

/// The NVRTC command line of `opts`; also what the cache key hashes.
std::vector<std::string> nvrtcOptionList(const NvrtcOptions &opts);

struct CompiledCuda {
  std::string cubin; ///< ELF image for cuModuleLoadData
  std::string ptx;
  std::string log;   ///< warnings, if any
};

/// Compiles `source` (named `name` in diagnostics). On failure the error holds
/// the NVRTC log and, for each `name(L): ...` line of it, lines L-3..L+3 of
/// the source. Counts one compile in the runtime stats.
Expected<CompiledCuda> compileCuda(const std::string &source, const NvrtcOptions &opts,
                                   const std::string &name = "attngen_kernel.cu");

/// `log` with the source lines around every line it reports in `name`
/// (exposed for tests).
std::string annotateNvrtcLog(const std::string &log, const std::string &source,
                             const std::string &name);

} // namespace attngen

#endif // ATTNGEN_RUNTIME_NVRTC_H
