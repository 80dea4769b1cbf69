//===- Jit.h - The JIT API: variant -> launchable kernel --------*- C++ -*-===//
//
//   auto k = attngen::Runtime::instance().get(variant);   // compile or cache
//   if (!k) report(k.message());
//   std::vector<char> ws((*k)->workspaceBytes(problem));  // on the device
//   Status s = (*k)->launch(problem, tensors, ws_ptr, ws_bytes, stream);
//
// A Kernel is a compiled plan: its cubin (from NVRTC, the disk cache or the
// memory cache) and, per CUDA context it has been launched in, the loaded
// module. Kernels are shared and immutable; launch is thread-safe.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_JIT_H
#define ATTNGEN_RUNTIME_JIT_H

#include "attngen/Spec/Plan.h"
#include "attngen/runtime/DiskCache.h"
#include "attngen/runtime/Error.h"
#include "attngen/runtime/MemoryCache.h"
#include "attngen/runtime/Nvrtc.h"
#include "attngen/runtime/Problem.h"
#include "attngen/runtime/Stats.h"

#include <cuda.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace attngen {

class LoadedModule;

/// Which kernels of a plan a launch runs. Prologue then Attention is the same
/// work as All: the split lets a benchmark time the attention kernel alone on
/// operands the prologue already quantized.
enum class LaunchStages { All, Prologue, Attention };

class Kernel {
public:
  Kernel(KernelPlan plan, std::string cacheKey, std::string cubin);
  ~Kernel();

  const KernelPlan &plan() const { return kernelPlan; }
  const std::string &cacheKey() const { return key; }
  const std::string &cubin() const { return image; }

  /// Workspace bytes `launch` needs for `problem` (0 for an invalid problem).
  size_t workspaceBytes(const Problem &problem) const;

  /// Validates every argument (before any driver call), loads the module in
  /// the current context if needed, checks that the device runs the plan's
  /// target, and launches each kernel of the plan in order on `stream`.
  /// `workspace` must hold `workspaceBytes` bytes, 256-byte aligned.
  Status launch(const Problem &problem, const Tensors &tensors, void *workspace,
                size_t workspaceBytes, CUstream stream,
                LaunchStages stages = LaunchStages::All) const;
  /// As above, trusting that `workspace` holds workspaceBytes(problem) bytes.
  Status launch(const Problem &problem, const Tensors &tensors, void *workspace,
                CUstream stream) const;

  /// Loads the module into the current context now (launch does it lazily).
  Status prepare() const;

  /// bias = dense: bytes of the block map of `tensors.bias_dense` (one per
  /// tile of this kernel; templates' mask/block_map.cuh), 0 with an error
  /// for a variant without a dense bias or a bad table.
  Expected<size_t> blockMapBytes(const Problem &problem, const Tensors &tensors) const;
  /// Builds that map into `map` (device memory of blockMapBytes bytes) on
  /// `stream`: once per table; pass it as Tensors::bias_block_map to every
  /// launch with the same table, and fully masked tiles are skipped.
  Status buildBlockMap(const Problem &problem, const Tensors &tensors, void *map,
                       size_t mapBytes, CUstream stream) const;

private:
  Expected<const LoadedModule *> moduleForCurrentContext() const;

  KernelPlan kernelPlan;
  std::string key;
  std::string image;
  mutable std::mutex mutex;
  mutable std::map<CUcontext, std::unique_ptr<LoadedModule>> modules;
  mutable std::map<CUcontext, int> contextSm;
};

class Runtime {
public:
  /// The process-wide runtime (never destroyed: kernels must not be unloaded
  /// after the driver has shut down at exit).
  static Runtime &instance();

  /// The kernel of `variant` for `target` (default: the current device's).
  /// Needs a build with the MLIR compiler; otherwise an error that says to
  /// load a kernel package.
  Expected<std::shared_ptr<Kernel>> get(const Variant &variant,
                                        std::optional<Target> target = std::nullopt);
  /// The kernel of an already lowered plan and its emitted CUDA source.
  Expected<std::shared_ptr<Kernel>> load(const KernelPlan &plan, const std::string &cudaSource);
  /// A kernel package directory: plan.json + kernel.cu (`attngen emit --package`).
  Expected<std::shared_ptr<Kernel>> loadPackage(const std::string &dir);

  /// The target of the current device (sm_90a on Hopper).
  Expected<Target> detectTarget() const;

  RuntimeStats stats() const { return runtimeStats(); }

  /// The disk cache (default directory unless set; none if ATTNGEN_DISK_CACHE=0).
  void setDiskCacheDirectory(std::optional<std::string> dir);
  std::optional<std::string> diskCacheDirectory() const;
  void setLineInfo(bool on);
  void clearMemoryCache();

  Runtime(const Runtime &) = delete;
  Runtime &operator=(const Runtime &) = delete;

private:
  Runtime();
  Expected<std::string> compileOrFetch(const std::string &key, const std::string &source,
                                       const NvrtcOptions &opts);

  MemoryCache<Kernel> memory;
  mutable std::mutex mutex;
  std::optional<std::string> diskDir;
  bool lineInfo = false;
  /// get()'s memo: variant, target and line info (it changes the cubin) ->
  /// kernel, so a hit skips the compiler.
  struct VariantEntry {
    Variant variant;
    Target target;
    bool lineInfo;
    std::shared_ptr<Kernel> kernel;
  };
  std::vector<VariantEntry> byVariant;
};

} // namespace attngen

#endif // ATTNGEN_RUNTIME_JIT_H
