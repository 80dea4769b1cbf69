//===- Driver.cpp - Context, modules and launches -------------------------===//

#include "attngen/runtime/Driver.h"

#include "attngen/runtime/CudaApi.h"
#include "attngen/runtime/Stats.h"

#include <fmt/format.h>

namespace attngen {

Expected<DeviceInfo> currentDevice() {
  auto apiOr = driverApi();
  if (!apiOr)
    return apiOr.error();
  const DriverApi &api = **apiOr;
  DeviceInfo info;
  CUresult r = api.ctxGetCurrent(&info.context);
  if (r != CUDA_SUCCESS)
    return Error{"cuCtxGetCurrent failed: " + driverErrorText(api, r)};
  if (!info.context) {
    CUdevice dev;
    if ((r = api.deviceGet(&dev, 0)) != CUDA_SUCCESS)
      return Error{"cuDeviceGet(0) failed: " + driverErrorText(api, r)};
    // Retained for the life of the process, as the CUDA runtime does.
    if ((r = api.devicePrimaryCtxRetain(&info.context, dev)) != CUDA_SUCCESS)
      return Error{"cuDevicePrimaryCtxRetain failed: " + driverErrorText(api, r)};
    if ((r = api.ctxSetCurrent(info.context)) != CUDA_SUCCESS)
      return Error{"cuCtxSetCurrent failed: " + driverErrorText(api, r)};
  }
  if ((r = api.ctxGetDevice(&info.device)) != CUDA_SUCCESS)
    return Error{"cuCtxGetDevice failed: " + driverErrorText(api, r)};
  int major = 0, minor = 0;
  struct Query {
    CUdevice_attribute attr;
    int *out;
    const char *name;
  } queries[] = {
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &major, "compute capability major"},
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &minor, "compute capability minor"},
      {CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, &info.smCount, "multiprocessor count"},
      {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, &info.maxSmemOptin,
       "max shared memory per block (opt-in)"},
  };
  for (const Query &q : queries)
    if ((r = api.deviceGetAttribute(q.out, q.attr, info.device)) != CUDA_SUCCESS)
      return Error{fmt::format("cuDeviceGetAttribute({}) failed: {}", q.name,
                               driverErrorText(api, r))};
  info.sm = 10 * major + minor;
  return info;
}

Target targetForSm(int sm) {
  Target t;
  t.sm = sm;
  // wgmma and setmaxnreg exist only in the arch-specific sm_90a feature set.
  t.archSpecific = sm == 90;
  return t;
}

Status checkTargetRunsOn(const Target &target, int sm) {
  bool runs = target.archSpecific ? sm == target.sm
                                  : sm / 10 == target.sm / 10 && sm % 10 >= target.sm % 10;
  if (runs)
    return Status::ok();
  return Error{fmt::format("the kernel was compiled for {} but the device is sm_{} ({}); "
                           "compile it for this device's target",
                           target.name(), sm,
                           target.archSpecific
                               ? "an arch-specific cubin runs only on that exact architecture"
                               : "a cubin runs only on its major architecture, same or newer "
                                 "minor")};
}

Expected<std::unique_ptr<LoadedModule>> LoadedModule::load(const std::string &cubin,
                                                           const KernelPlan &plan,
                                                           int smCount) {
  auto apiOr = driverApi();
  if (!apiOr)
    return apiOr.error();
  const DriverApi &api = **apiOr;
  std::unique_ptr<LoadedModule> m(new LoadedModule());
  CUresult r = api.moduleLoadData(&m->module, cubin.data());
  if (r != CUDA_SUCCESS)
    return Error{"cuModuleLoadData failed: " + driverErrorText(api, r)};
  stats::recordModuleLoad();
  for (const KernelDesc &k : plan.kernels) {
    CUfunction fn = nullptr;
    if ((r = api.moduleGetFunction(&fn, m->module, k.symbol.c_str())) != CUDA_SUCCESS)
      return Error{fmt::format("kernel '{}' ({}) is not in the module: {}", k.symbol,
                               toString(k.role), driverErrorText(api, r))};
    if ((r = api.funcSetAttribute(fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                  k.smemBytes)) != CUDA_SUCCESS)
      return Error{fmt::format("kernel '{}' needs {} bytes of dynamic shared memory, which "
                               "the device refuses: {}",
                               k.symbol, k.smemBytes, driverErrorText(api, r))};
    m->fns.push_back(fn);
  }
  // Without the symbol (mma.sync modules, hand-written sources) the kernel
  // gets one CTA per tile, which is right for a persistent one too.
  CUdeviceptr flag = 0;
  size_t bytes = 0;
  r = api.moduleGetGlobal(&flag, &bytes, m->module, PersistentSymbol);
  if (r == CUDA_SUCCESS) {
    if (bytes != sizeof(int) && bytes != 2 * sizeof(int) && bytes != 3 * sizeof(int))
      return Error{fmt::format("'{}' in the module has {} bytes, not 4, 8 or 12 (its size "
                               "says whether the attention kernel is persistent, and whether "
                               "it schedules its tiles dynamically)",
                               PersistentSymbol, bytes)};
    const KernelDesc *attention = plan.find(KernelRole::Attention);
    m->dynamic = bytes == 3 * sizeof(int) && attention;
    if (bytes >= 2 * sizeof(int) && attention) {
      CUfunction fn = m->fns[size_t(attention - plan.kernels.data())];
      int perSm = 0;
      if ((r = api.occupancyMaxActiveBlocks(&perSm, fn, attention->threads,
                                            size_t(attention->smemBytes))) != CUDA_SUCCESS)
        return Error{fmt::format("the occupancy of kernel '{}' is unknown: {}",
                                 attention->symbol, driverErrorText(api, r))};
      if (perSm < 1)
        return Error{fmt::format("kernel '{}' ({} threads, {} bytes of shared memory) does "
                                 "not fit on a multiprocessor",
                                 attention->symbol, attention->threads, attention->smemBytes)};
      m->resident = unsigned(perSm) * unsigned(smCount > 0 ? smCount : 1);
    }
  } else if (r != CUDA_ERROR_NOT_FOUND) {
    return Error{fmt::format("looking up '{}' failed: {}", PersistentSymbol,
                             driverErrorText(api, r))};
  }
  if (plan.variant.bias == BiasKind::Dense &&
      (r = api.moduleGetFunction(&m->blockMap, m->module, BlockMapSymbol)) != CUDA_SUCCESS)
    return Error{fmt::format("the block map kernel '{}' is not in the module: {}",
                             BlockMapSymbol, driverErrorText(api, r))};
  return m;
}

LoadedModule::~LoadedModule() {
  if (!module)
    return;
  if (auto api = driverApi())
    (*api)->moduleUnload(module); // nothing to report to from a destructor
}

Status launchOnStream(CUfunction fn, const unsigned grid[3], unsigned block, int smemBytes,
                      CUstream stream, void *params, const std::string &what,
                      bool dependent) {
  auto apiOr = driverApi();
  if (!apiOr)
    return Error{apiOr.message()};
  const DriverApi &api = **apiOr;
  void *args[] = {params};
  CUresult r;
  if (dependent && api.launchKernelEx) {
    CUlaunchAttribute attr{};
    attr.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
    attr.value.programmaticStreamSerializationAllowed = 1;
    CUlaunchConfig config{};
    config.gridDimX = grid[0], config.gridDimY = grid[1], config.gridDimZ = grid[2];
    config.blockDimX = block, config.blockDimY = 1, config.blockDimZ = 1;
    config.sharedMemBytes = unsigned(smemBytes);
    config.hStream = stream;
    config.attrs = &attr;
    config.numAttrs = 1;
    r = api.launchKernelEx(&config, fn, args, nullptr);
  } else {
    r = api.launchKernel(fn, grid[0], grid[1], grid[2], block, 1, 1, unsigned(smemBytes),
                         stream, args, nullptr);
  }
  if (r != CUDA_SUCCESS)
    return Error{fmt::format("cuLaunchKernel of {} (grid {}x{}x{}, block {}, smem {}) failed: {}",
                             what, grid[0], grid[1], grid[2], block, smemBytes,
                             driverErrorText(api, r))};
  return Status::ok();
}

Status memsetWordsOnStream(void *ptr, unsigned value, size_t count, CUstream stream) {
  auto apiOr = driverApi();
  if (!apiOr)
    return Error{apiOr.message()};
  const DriverApi &api = **apiOr;
  CUresult r = api.memsetD32Async(reinterpret_cast<CUdeviceptr>(ptr), value, count, stream);
  if (r != CUDA_SUCCESS)
    return Error{fmt::format("cuMemsetD32Async of {} words failed: {}", count,
                             driverErrorText(api, r))};
  return Status::ok();
}

} // namespace attngen

namespace attngen {

Expected<DeviceBuffer> DeviceBuffer::allocate(size_t bytes) {
  auto device = currentDevice(); // makes a context current if none is
  if (!device)
    return device.error();
  const DriverApi &api = **driverApi();
  DeviceBuffer b;
  b.size = bytes;
  if (bytes == 0)
    return b;
  CUresult r = api.memAlloc(&b.ptr, bytes);
  if (r != CUDA_SUCCESS)
    return Error{fmt::format("cuMemAlloc of {} bytes failed: {}", bytes, driverErrorText(api, r))};
  if ((r = api.memsetD8(b.ptr, 0, bytes)) != CUDA_SUCCESS)
    return Error{"cuMemsetD8 failed: " + driverErrorText(api, r)};
  return b;
}

Expected<DeviceBuffer> DeviceBuffer::fromHost(const void *host, size_t bytes) {
  auto b = allocate(bytes);
  if (!b)
    return b;
  if (Status s = b->upload(host, bytes); !s)
    return Error{s.message()};
  return b;
}

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&o) noexcept {
  std::swap(ptr, o.ptr);
  std::swap(size, o.size);
  return *this;
}

DeviceBuffer::~DeviceBuffer() {
  if (!ptr)
    return;
  if (auto api = driverApi())
    (*api)->memFree(ptr);
}

Status DeviceBuffer::upload(const void *host, size_t bytes, size_t offset) const {
  if (offset + bytes > size)
    return Error{fmt::format("upload of {} bytes at {} overruns a {}-byte buffer", bytes, offset,
                             size)};
  const DriverApi &api = **driverApi();
  CUresult r = api.memcpyHtoD(ptr + offset, host, bytes);
  if (r != CUDA_SUCCESS)
    return Error{"cuMemcpyHtoD failed: " + driverErrorText(api, r)};
  return Status::ok();
}

Status DeviceBuffer::download(void *host, size_t bytes, size_t offset) const {
  if (offset + bytes > size)
    return Error{fmt::format("download of {} bytes at {} overruns a {}-byte buffer", bytes,
                             offset, size)};
  const DriverApi &api = **driverApi();
  CUresult r = api.memcpyDtoH(host, ptr + offset, bytes);
  if (r != CUDA_SUCCESS)
    return Error{"cuMemcpyDtoH failed: " + driverErrorText(api, r)};
  return Status::ok();
}

Status synchronizeContext() {
  auto apiOr = driverApi();
  if (!apiOr)
    return Error{apiOr.message()};
  CUresult r = (*apiOr)->ctxSynchronize();
  if (r != CUDA_SUCCESS)
    return Error{"cuCtxSynchronize failed: " + driverErrorText(**apiOr, r)};
  return Status::ok();
}

} // namespace attngen
