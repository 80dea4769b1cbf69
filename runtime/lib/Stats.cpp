//===- Stats.cpp - Process-wide counters ----------------------------------===//

#include "attngen/runtime/Stats.h"

#include <mutex>

namespace attngen {

namespace {
std::mutex statsMutex;
RuntimeStats counters;
} // namespace

RuntimeStats runtimeStats() {
  std::lock_guard<std::mutex> lock(statsMutex);
  return counters;
}

namespace stats {
void recordCompile(double ms) {
  std::lock_guard<std::mutex> lock(statsMutex);
  ++counters.nvrtcCompiles;
  counters.compileMs += ms;
}
void recordMemory(bool hit) {
  std::lock_guard<std::mutex> lock(statsMutex);
  ++(hit ? counters.memoryHits : counters.memoryMisses);
}
void recordDisk(bool hit) {
  std::lock_guard<std::mutex> lock(statsMutex);
  ++(hit ? counters.diskHits : counters.diskMisses);
}
void recordModuleLoad() {
  std::lock_guard<std::mutex> lock(statsMutex);
  ++counters.moduleLoads;
}
void recordLaunch() {
  std::lock_guard<std::mutex> lock(statsMutex);
  ++counters.launches;
}
void reset() {
  std::lock_guard<std::mutex> lock(statsMutex);
  counters = RuntimeStats();
}
} // namespace stats

} // namespace attngen
