//===- Driver.h - Context, modules and launches (CUDA driver API) -*- C++ -*-===//
//
// attngen works in whatever context is current on the calling thread; when
// none is, it makes the primary context of device 0 current, which is the
// context PyTorch and the CUDA runtime use too, so buffers and streams of the
// caller are valid for our kernels.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_DRIVER_H
#define ATTNGEN_RUNTIME_DRIVER_H

#include "attngen/Spec/Plan.h"
#include "attngen/runtime/Error.h"

#include <cuda.h>

#include <memory>
#include <string>
#include <vector>

namespace attngen {

struct DeviceInfo {
  CUcontext context = nullptr;
  CUdevice device = 0;
  int sm = 0;          ///< 10 * major + minor
  int smCount = 0;     ///< multiprocessors
  int maxSmemOptin = 0; ///< max dynamic shared memory per block after opt-in
};

/// The current context (made current from device 0's primary context if the
/// thread has none) and its device's properties.
Expected<DeviceInfo> currentDevice();

/// The target to compile for on a device of compute capability `sm`:
/// the arch-specific sm_90a on Hopper (wgmma), plain sm_XY elsewhere.
Target targetForSm(int sm);

/// Whether a cubin for `target` runs on a device of compute capability `sm`:
/// arch-specific targets need the exact device; others a device of the same
/// major version and an equal or newer minor.
Status checkTargetRunsOn(const Target &target, int sm);

/// A module loaded in one context with one function per kernel of a plan.
class LoadedModule {
public:
  /// Loads `cubin` into the current context, resolves every symbol of
  /// `plan.kernels`, raises each function's dynamic shared memory limit to
  /// the plan's size and, for a persistent attention kernel, finds how many
  /// of its CTAs the device (`smCount` multiprocessors) holds at once.
  static Expected<std::unique_ptr<LoadedModule>> load(const std::string &cubin,
                                                      const KernelPlan &plan, int smCount);
  ~LoadedModule();
  LoadedModule(const LoadedModule &) = delete;
  LoadedModule &operator=(const LoadedModule &) = delete;

  /// Functions in the order of plan.kernels.
  const std::vector<CUfunction> &functions() const { return fns; }
  /// The attention kernel's CTAs resident at once on the whole device if it
  /// is persistent (its CTAs loop over tiles: PersistentSymbol), else 0.
  unsigned persistentCtas() const { return resident; }
  /// Whether those CTAs take their tiles from AttnParams::tile_counter, which
  /// must then be zero when the kernel starts.
  bool dynamicTiles() const { return dynamic; }
  /// The dense bias's block map builder (BlockMapSymbol); null otherwise.
  CUfunction blockMapFunction() const { return blockMap; }

private:
  LoadedModule() = default;
  CUmodule module = nullptr;
  std::vector<CUfunction> fns;
  unsigned resident = 0;
  bool dynamic = false;
  CUfunction blockMap = nullptr;
};

/// Device memory in the current context (for the CLI and tests).
class DeviceBuffer {
public:
  /// `bytes` bytes, zero-filled.
  static Expected<DeviceBuffer> allocate(size_t bytes);
  /// A copy of `bytes` bytes of host memory.
  static Expected<DeviceBuffer> fromHost(const void *host, size_t bytes);
  DeviceBuffer() = default;
  DeviceBuffer(DeviceBuffer &&o) noexcept : ptr(o.ptr), size(o.size) { o.ptr = 0; }
  DeviceBuffer &operator=(DeviceBuffer &&o) noexcept;
  ~DeviceBuffer();

  void *data() const { return reinterpret_cast<void *>(ptr); }
  size_t bytes() const { return size; }
  Status upload(const void *host, size_t bytes, size_t offset = 0) const;
  Status download(void *host, size_t bytes, size_t offset = 0) const;

private:
  CUdeviceptr ptr = 0;
  size_t size = 0;
};

/// Waits for all work of the current context.
Status synchronizeContext();

/// cuLaunchKernel with `params` (a pointer to the AttnParams) as the single
/// kernel parameter. `dependent`: launched with programmatic stream
/// serialization (cuLaunchKernelEx), so it may start while the stream's
/// previous kernel finishes; the kernel must call griddepcontrol.wait before
/// it touches that kernel's results (templates' quant/grid_dependency.h).
Status launchOnStream(CUfunction fn, const unsigned grid[3], unsigned block, int smemBytes,
                      CUstream stream, void *params, const std::string &what,
                      bool dependent = false);

/// Sets `count` 32-bit words at device address `ptr` to `value`, in order on
/// `stream` (the launch's counters before the kernels that use them).
Status memsetWordsOnStream(void *ptr, unsigned value, size_t count, CUstream stream);

} // namespace attngen

#endif // ATTNGEN_RUNTIME_DRIVER_H
