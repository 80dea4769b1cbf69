//===- Parallel.h - A minimal std::thread work pool for the reference -----===//
#ifndef ATTNGEN_REFERENCE_PARALLEL_H
#define ATTNGEN_REFERENCE_PARALLEL_H

#include <cstddef>
#include <functional>

namespace attngen::ref {

/// Number of worker threads for `requested` (0 = the hardware's count).
int resolveThreads(int requested);

/// Runs fn(i) for i in [0, count) on `threads` threads (0 = all cores). Items
/// are handed out one at a time, so uneven items (causal rows) balance.
void parallelFor(size_t count, int threads, const std::function<void(size_t)> &fn);

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_PARALLEL_H
