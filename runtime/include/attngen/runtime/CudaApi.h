//===- CudaApi.h - NVRTC and the CUDA driver, loaded with dlopen -*- C++ -*-===//
//
// Neither libnvrtc nor libcuda is linked: both are opened at first use and
// their entry points resolved by name (as jitify2 does), so that a machine
// without a driver or without the toolkit gets an error value saying so
// instead of a program that fails to start. The CUDA headers are included for
// their types and prototypes only.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_CUDAAPI_H
#define ATTNGEN_RUNTIME_CUDAAPI_H

#include "attngen/runtime/Error.h"

#include <cuda.h>
#include <nvrtc.h>

#include <string>

namespace attngen {

struct NvrtcApi {
  decltype(&::nvrtcVersion) version;
  decltype(&::nvrtcGetErrorString) getErrorString;
  decltype(&::nvrtcCreateProgram) createProgram;
  decltype(&::nvrtcDestroyProgram) destroyProgram;
  decltype(&::nvrtcCompileProgram) compileProgram;
  decltype(&::nvrtcGetProgramLogSize) getProgramLogSize;
  decltype(&::nvrtcGetProgramLog) getProgramLog;
  decltype(&::nvrtcGetPTXSize) getPTXSize;
  decltype(&::nvrtcGetPTX) getPTX;
  decltype(&::nvrtcGetCUBINSize) getCUBINSize;
  decltype(&::nvrtcGetCUBIN) getCUBIN;
  std::string libraryPath; ///< what dlopen accepted
};

struct DriverApi {
  decltype(&::cuInit) init;
  decltype(&::cuDriverGetVersion) driverGetVersion;
  decltype(&::cuGetErrorName) getErrorName;
  decltype(&::cuGetErrorString) getErrorString;
  decltype(&::cuDeviceGet) deviceGet;
  decltype(&::cuDeviceGetAttribute) deviceGetAttribute;
  decltype(&::cuDevicePrimaryCtxRetain) devicePrimaryCtxRetain;
  decltype(&::cuCtxGetCurrent) ctxGetCurrent;
  decltype(&::cuCtxSetCurrent) ctxSetCurrent;
  decltype(&::cuCtxGetDevice) ctxGetDevice;
  decltype(&::cuModuleLoadData) moduleLoadData;
  decltype(&::cuModuleUnload) moduleUnload;
  decltype(&::cuModuleGetFunction) moduleGetFunction;
  decltype(&::cuModuleGetGlobal) moduleGetGlobal;
  decltype(&::cuFuncSetAttribute) funcSetAttribute;
  decltype(&::cuLaunchKernel) launchKernel;
  decltype(&::cuLaunchKernelEx) launchKernelEx; ///< null on drivers before CUDA 12
  // Memory, events and names: for tools and tests that own device buffers
  // (runtime/DeviceMemory.h); the launch path itself needs none of them.
  decltype(&::cuDeviceGetName) deviceGetName;
  decltype(&::cuFuncGetAttribute) funcGetAttribute;
  decltype(&::cuOccupancyMaxActiveBlocksPerMultiprocessor) occupancyMaxActiveBlocks;
  decltype(&::cuMemAlloc) memAlloc;
  decltype(&::cuMemFree) memFree;
  decltype(&::cuMemcpyHtoD) memcpyHtoD;
  decltype(&::cuMemcpyDtoH) memcpyDtoH;
  decltype(&::cuMemsetD8) memsetD8;
  decltype(&::cuMemsetD32) memsetD32;
  decltype(&::cuMemsetD32Async) memsetD32Async;
  decltype(&::cuCtxSynchronize) ctxSynchronize;
  decltype(&::cuEventCreate) eventCreate;
  decltype(&::cuEventDestroy) eventDestroy;
  decltype(&::cuEventRecord) eventRecord;
  decltype(&::cuEventSynchronize) eventSynchronize;
  decltype(&::cuEventElapsedTime) eventElapsedTime;
};

/// NVRTC, opened once per process: $ATTNGEN_NVRTC_PATH, libnvrtc.so.13,
/// libnvrtc.so, then the toolkit's lib64. The error lists every path tried.
Expected<const NvrtcApi *> nvrtcApi();
/// The driver (libcuda.so.1), opened and cuInit'ed once per process.
Expected<const DriverApi *> driverApi();

/// "nvrtc 13.0 (109338064 bytes)": the version and the size of the loaded
/// library, which differs between patch releases; part of every cache key.
Expected<std::string> nvrtcVersionString();

/// "NVRTC_ERROR_COMPILATION" style text of a result code.
std::string nvrtcErrorText(const NvrtcApi &api, nvrtcResult r);
/// "CUDA_ERROR_INVALID_VALUE (invalid argument)" style text.
std::string driverErrorText(const DriverApi &api, CUresult r);

} // namespace attngen

#endif // ATTNGEN_RUNTIME_CUDAAPI_H
