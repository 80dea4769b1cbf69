//===- CacheKey.h - What identifies a compiled kernel -----------*- C++ -*-===//
//
// A cubin may be reused only if every input that shaped it is equal: the
// kernel source (which embodies the canonical plan), the device templates it
// includes, the target, the NVRTC that compiled it, the generator that wrote
// the source, and the compile options. Missing any one of them serves stale
// kernels (jitify2 omitted the headers; TileLang once keyed on the version).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_CACHEKEY_H
#define ATTNGEN_RUNTIME_CACHEKEY_H

#include "attngen/runtime/Error.h"

#include <string>
#include <vector>

namespace attngen {

struct NvrtcOptions;

struct CacheKeyInputs {
  std::string source;           ///< the generated CUDA source
  std::string bundleHash;       ///< templateBundleHash()
  std::string target;           ///< "sm_90a"
  std::string nvrtcVersion;     ///< nvrtcVersionString()
  std::string generatorVersion; ///< generatorVersion()
  std::vector<std::string> options; ///< nvrtcOptionList()
};

/// 64 hex digits: SHA-256 over every input, each length-prefixed so that no
/// two different inputs concatenate to the same bytes.
std::string computeCacheKey(const CacheKeyInputs &in);

/// The inputs for compiling `source` with `opts` on this process's NVRTC.
Expected<CacheKeyInputs> cacheKeyInputs(const std::string &source, const NvrtcOptions &opts);

} // namespace attngen

#endif // ATTNGEN_RUNTIME_CACHEKEY_H
