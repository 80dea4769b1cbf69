//===- DeviceMemory.h - Device buffers and event timing for tools and tests -===//
//
// Helpers beside Driver.h's DeviceBuffer for the programs that own their
// device data (the CLI's run / bench / demo, the GPU tests): poisoning,
// event timing and the device name (fp16/bf16 host conversions are in
// reference/Convert.h). Host apps
// launching on their own buffers need none of this.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_DEVICEMEMORY_H
#define ATTNGEN_RUNTIME_DEVICEMEMORY_H

#include "attngen/runtime/Driver.h"
#include "attngen/runtime/Error.h"

#include <cuda.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace attngen {

/// Every byte of `buf` set to `value` (0xFF in fp16/bf16/fp32 is a NaN: the
/// poison written before a launch, so unwritten outputs show).
Status fillBytes(const DeviceBuffer &buf, unsigned char value);

/// Median milliseconds of `reps` runs of `fn` on the legacy default stream,
/// after `warmup` runs, each timed with a pair of events.
Expected<double> medianMs(const std::function<Status()> &fn, int warmup, int reps);

/// The current device's name ("NVIDIA H100 80GB HBM3").
Expected<std::string> deviceName();


} // namespace attngen

#endif
