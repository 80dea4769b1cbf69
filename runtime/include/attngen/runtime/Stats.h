//===- Stats.h - Process-wide counters of the runtime -----------*- C++ -*-===//
//
// Counters that tests and users read to see what the caches did: a second
// request for a kernel must cost no NVRTC compile.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_STATS_H
#define ATTNGEN_RUNTIME_STATS_H

#include <cstdint>

namespace attngen {

struct RuntimeStats {
  uint64_t nvrtcCompiles = 0; ///< nvrtcCompileProgram calls
  double compileMs = 0;       ///< wall time spent in them
  uint64_t memoryHits = 0, memoryMisses = 0;
  uint64_t diskHits = 0, diskMisses = 0;
  uint64_t moduleLoads = 0; ///< cuModuleLoadData calls
  uint64_t launches = 0;    ///< Kernel::launch calls that reached the driver
};

/// A snapshot of the counters.
RuntimeStats runtimeStats();

namespace stats {
// Recording hooks of the runtime's components (thread-safe).
void recordCompile(double ms);
void recordMemory(bool hit);
void recordDisk(bool hit);
void recordModuleLoad();
void recordLaunch();
void reset(); ///< for tests
} // namespace stats

} // namespace attngen

#endif // ATTNGEN_RUNTIME_STATS_H
