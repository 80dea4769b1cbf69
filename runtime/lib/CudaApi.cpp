//===- CudaApi.cpp - dlopen of NVRTC and the CUDA driver ------------------===//

#include "attngen/runtime/CudaApi.h"

#include <fmt/format.h>

#include <cstdlib>
#include <dlfcn.h>
#include <sys/stat.h>
#include <mutex>
#include <vector>

namespace attngen {

namespace {

// cuda.h maps some names to versioned symbols with macros (cuLaunchKernel ->
// cuLaunchKernel_ptsz under per-thread default streams): stringize after
// expansion so dlsym asks for the symbol the prototype belongs to.
#define AG_STR2(x) #x
#define AG_STR(x) AG_STR2(x)

template <typename Fn>
bool resolve(void *lib, const char *name, Fn &out, std::vector<std::string> &missing) {
  out = reinterpret_cast<Fn>(dlsym(lib, name));
  if (!out)
    missing.push_back(name);
  return out != nullptr;
}

std::string joinNames(const std::vector<std::string> &names) {
  std::string s;
  for (const auto &n : names)
    s += (s.empty() ? "" : ", ") + n;
  return s;
}

Expected<NvrtcApi> openNvrtc() {
  std::vector<std::string> candidates;
  if (const char *p = std::getenv("ATTNGEN_NVRTC_PATH"); p && *p)
    candidates.push_back(p);
  candidates.push_back("libnvrtc.so.13");
  candidates.push_back("libnvrtc.so");
  // The toolkit's own directory, for machines whose loader path omits it.
  candidates.push_back("/usr/local/cuda/lib64/libnvrtc.so.13");
  candidates.push_back("/usr/local/cuda/lib64/libnvrtc.so");

  std::string tried;
  for (const auto &path : candidates) {
    void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char *why = dlerror();
      tried += fmt::format("\n  {}: {}", path, why ? why : "not found");
      continue;
    }
    NvrtcApi api;
    std::vector<std::string> missing;
    resolve(lib, AG_STR(nvrtcVersion), api.version, missing);
    resolve(lib, AG_STR(nvrtcGetErrorString), api.getErrorString, missing);
    resolve(lib, AG_STR(nvrtcCreateProgram), api.createProgram, missing);
    resolve(lib, AG_STR(nvrtcDestroyProgram), api.destroyProgram, missing);
    resolve(lib, AG_STR(nvrtcCompileProgram), api.compileProgram, missing);
    resolve(lib, AG_STR(nvrtcGetProgramLogSize), api.getProgramLogSize, missing);
    resolve(lib, AG_STR(nvrtcGetProgramLog), api.getProgramLog, missing);
    resolve(lib, AG_STR(nvrtcGetPTXSize), api.getPTXSize, missing);
    resolve(lib, AG_STR(nvrtcGetPTX), api.getPTX, missing);
    resolve(lib, AG_STR(nvrtcGetCUBINSize), api.getCUBINSize, missing);
    resolve(lib, AG_STR(nvrtcGetCUBIN), api.getCUBIN, missing);
    if (!missing.empty()) {
      tried += fmt::format("\n  {}: lacks {}", path, joinNames(missing));
      dlclose(lib);
      continue;
    }
    api.libraryPath = path;
    return api;
  }
  return Error{"NVRTC could not be loaded (set ATTNGEN_NVRTC_PATH to libnvrtc.so); tried:" +
               tried};
}

Expected<DriverApi> openDriver() {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    return Error{fmt::format("the CUDA driver (libcuda.so.1) could not be loaded, so no "
                             "kernel can run on this machine: {}",
                             why ? why : "not found")};
  }
  DriverApi api;
  std::vector<std::string> missing;
  resolve(lib, AG_STR(cuInit), api.init, missing);
  resolve(lib, AG_STR(cuDriverGetVersion), api.driverGetVersion, missing);
  resolve(lib, AG_STR(cuGetErrorName), api.getErrorName, missing);
  resolve(lib, AG_STR(cuGetErrorString), api.getErrorString, missing);
  resolve(lib, AG_STR(cuDeviceGet), api.deviceGet, missing);
  resolve(lib, AG_STR(cuDeviceGetAttribute), api.deviceGetAttribute, missing);
  resolve(lib, AG_STR(cuDevicePrimaryCtxRetain), api.devicePrimaryCtxRetain, missing);
  resolve(lib, AG_STR(cuCtxGetCurrent), api.ctxGetCurrent, missing);
  resolve(lib, AG_STR(cuCtxSetCurrent), api.ctxSetCurrent, missing);
  resolve(lib, AG_STR(cuCtxGetDevice), api.ctxGetDevice, missing);
  resolve(lib, AG_STR(cuModuleLoadData), api.moduleLoadData, missing);
  resolve(lib, AG_STR(cuModuleUnload), api.moduleUnload, missing);
  resolve(lib, AG_STR(cuModuleGetFunction), api.moduleGetFunction, missing);
  resolve(lib, AG_STR(cuModuleGetGlobal), api.moduleGetGlobal, missing);
  resolve(lib, AG_STR(cuFuncSetAttribute), api.funcSetAttribute, missing);
  resolve(lib, AG_STR(cuLaunchKernel), api.launchKernel, missing);
  // Optional (drivers before CUDA 12): without it launches are never
  // programmatic dependents.
  std::vector<std::string> optional;
  resolve(lib, AG_STR(cuLaunchKernelEx), api.launchKernelEx, optional);
  resolve(lib, AG_STR(cuDeviceGetName), api.deviceGetName, missing);
  resolve(lib, AG_STR(cuFuncGetAttribute), api.funcGetAttribute, missing);
  resolve(lib, AG_STR(cuOccupancyMaxActiveBlocksPerMultiprocessor), api.occupancyMaxActiveBlocks,
          missing);
  resolve(lib, AG_STR(cuMemAlloc), api.memAlloc, missing);
  resolve(lib, AG_STR(cuMemFree), api.memFree, missing);
  resolve(lib, AG_STR(cuMemcpyHtoD), api.memcpyHtoD, missing);
  resolve(lib, AG_STR(cuMemcpyDtoH), api.memcpyDtoH, missing);
  resolve(lib, AG_STR(cuMemsetD8), api.memsetD8, missing);
  resolve(lib, AG_STR(cuMemsetD32), api.memsetD32, missing);
  resolve(lib, AG_STR(cuMemsetD32Async), api.memsetD32Async, missing);
  resolve(lib, AG_STR(cuCtxSynchronize), api.ctxSynchronize, missing);
  resolve(lib, AG_STR(cuEventCreate), api.eventCreate, missing);
  resolve(lib, AG_STR(cuEventDestroy), api.eventDestroy, missing);
  resolve(lib, AG_STR(cuEventRecord), api.eventRecord, missing);
  resolve(lib, AG_STR(cuEventSynchronize), api.eventSynchronize, missing);
  resolve(lib, AG_STR(cuEventElapsedTime), api.eventElapsedTime, missing);
  if (!missing.empty()) {
    dlclose(lib);
    return Error{"the CUDA driver (libcuda.so.1) is too old: it lacks " + joinNames(missing)};
  }
  CUresult r = api.init(0);
  if (r != CUDA_SUCCESS)
    return Error{"cuInit failed: " + driverErrorText(api, r) +
                 " (no usable NVIDIA GPU or driver on this machine?)"};
  return api;
}

} // namespace

Expected<const NvrtcApi *> nvrtcApi() {
  // Opened once; the result (success or the error) is kept for the process.
  static const Expected<NvrtcApi> api = openNvrtc();
  if (!api)
    return api.error();
  return &api.value();
}

Expected<const DriverApi *> driverApi() {
  static const Expected<DriverApi> api = openDriver();
  if (!api)
    return api.error();
  return &api.value();
}

Expected<std::string> nvrtcVersionString() {
  auto api = nvrtcApi();
  if (!api)
    return api.error();
  int major = 0, minor = 0;
  nvrtcResult r = (*api)->version(&major, &minor);
  if (r != NVRTC_SUCCESS)
    return Error{"nvrtcVersion failed: " + nvrtcErrorText(**api, r)};
  // nvrtcVersion says major.minor only, but patch releases (13.0.48 -> 13.0.88)
  // ship another ptxas: the size of the loaded library tells builds apart at
  // the cost of one stat (a probe compile would cost tens of milliseconds).
  std::string build;
  Dl_info info{};
  struct stat st {};
  if (dladdr(reinterpret_cast<void *>((*api)->compileProgram), &info) && info.dli_fname &&
      ::stat(info.dli_fname, &st) == 0)
    build = fmt::format(" ({} bytes)", uint64_t(st.st_size));
  return fmt::format("nvrtc {}.{}{}", major, minor, build);
}

std::string nvrtcErrorText(const NvrtcApi &api, nvrtcResult r) {
  const char *s = api.getErrorString ? api.getErrorString(r) : nullptr;
  return s ? std::string(s) : fmt::format("nvrtc error {}", int(r));
}

std::string driverErrorText(const DriverApi &api, CUresult r) {
  const char *name = nullptr, *text = nullptr;
  if (api.getErrorName)
    api.getErrorName(r, &name);
  if (api.getErrorString)
    api.getErrorString(r, &text);
  return fmt::format("{} ({})", name ? name : fmt::format("CUresult {}", int(r)),
                     text ? text : "no description");
}

} // namespace attngen
