//===- Parallel.cpp - A minimal std::thread work pool ---------------------===//
#include "Parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace attngen::ref {

int resolveThreads(int requested) {
  if (requested > 0)
    return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : int(hw);
}

void parallelFor(size_t count, int threads, const std::function<void(size_t)> &fn) {
  int n = int(std::min<size_t>(size_t(resolveThreads(threads)), count));
  if (n <= 1) {
    for (size_t i = 0; i < count; ++i)
      fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < count; i = next++)
      fn(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(size_t(n - 1));
  for (int t = 1; t < n; ++t)
    pool.emplace_back(worker);
  worker();
  for (auto &t : pool)
    t.join();
}

} // namespace attngen::ref
