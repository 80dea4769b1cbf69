//===- DeviceMemory.cpp - Device buffers and event timing -----------------===//

#include "attngen/runtime/DeviceMemory.h"

#include "attngen/runtime/CudaApi.h"
#include "attngen/runtime/Driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace attngen {

static Expected<const DriverApi *> readyDriver() {
  auto dev = currentDevice(); // makes a context current
  if (!dev)
    return dev.error();
  return driverApi();
}

static Status check(const DriverApi &api, CUresult r, const char *what) {
  if (r == CUDA_SUCCESS)
    return Status::ok();
  return Error{fmt::format("{} failed: {}", what, driverErrorText(api, r))};
}

Status fillBytes(const DeviceBuffer &buf, unsigned char value) {
  auto api = readyDriver();
  if (!api)
    return api.status();
  return check(**api,
               (*api)->memsetD8(reinterpret_cast<CUdeviceptr>(buf.data()), value, buf.bytes()),
               "cuMemsetD8");
}

Expected<double> medianMs(const std::function<Status()> &fn, int warmup, int reps) {
  // The median of no runs would read past an empty vector.
  if (reps < 1)
    return Error{fmt::format("timing needs at least one run (reps {})", reps)};
  auto api = readyDriver();
  if (!api)
    return api.error();
  const DriverApi &d = **api;
  for (int i = 0; i < warmup; ++i)
    if (Status s = fn(); !s)
      return Error{s.message()};
  CUevent start, stop;
  if (Status s = check(d, d.eventCreate(&start, CU_EVENT_DEFAULT), "cuEventCreate"); !s)
    return Error{s.message()};
  if (Status s = check(d, d.eventCreate(&stop, CU_EVENT_DEFAULT), "cuEventCreate"); !s) {
    d.eventDestroy(start);
    return Error{s.message()};
  }
  std::vector<double> times;
  Status status;
  for (int i = 0; i < reps && status.isOk(); ++i) {
    d.eventRecord(start, nullptr);
    status = fn();
    d.eventRecord(stop, nullptr);
    if (status.isOk())
      status = check(d, d.eventSynchronize(stop), "kernel execution (cuEventSynchronize)");
    float ms = 0;
    if (status.isOk())
      status = check(d, d.eventElapsedTime(&ms, start, stop), "cuEventElapsedTime");
    times.push_back(ms);
  }
  d.eventDestroy(start);
  d.eventDestroy(stop);
  if (!status)
    return Error{status.message()};
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

Expected<std::string> deviceName() {
  auto dev = currentDevice();
  if (!dev)
    return dev.error();
  auto api = driverApi();
  char name[256] = {0};
  if (Status s = check(**api, (*api)->deviceGetName(name, sizeof name - 1, dev->device),
                       "cuDeviceGetName");
      !s)
    return Error{s.message()};
  return std::string(name);
}

} // namespace attngen
