//===- MemoryCache.h - Process-wide key -> loaded kernel map ----*- C++ -*-===//
//
// Thread-safe, and each key is built once: concurrent requests for the same
// key wait for the first builder instead of compiling the kernel again. A
// failed build is not cached (the next request retries).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_MEMORYCACHE_H
#define ATTNGEN_RUNTIME_MEMORYCACHE_H

#include "attngen/runtime/Error.h"

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace attngen {

template <typename V> class MemoryCache {
public:
  using Builder = std::function<Expected<std::shared_ptr<V>>()>;

  /// The value of `key`, built with `build` on a miss. `hit` (if given) says
  /// whether it was already there.
  Expected<std::shared_ptr<V>> getOrBuild(const std::string &key, const Builder &build,
                                          bool *hit = nullptr) {
    std::unique_lock<std::mutex> lock(mutex);
    // Another thread building this key: wait for its result.
    cv.wait(lock, [&] { return building.count(key) == 0; });
    if (auto it = entries.find(key); it != entries.end()) {
      if (hit)
        *hit = true;
      return it->second;
    }
    if (hit)
      *hit = false;
    building.insert(key);
    lock.unlock();
    // The key is released however build() leaves (an exception included):
    // otherwise every later request for it would wait forever.
    struct Release {
      MemoryCache &cache;
      std::unique_lock<std::mutex> &lock;
      const std::string &key;
      ~Release() {
        if (!lock.owns_lock())
          lock.lock();
        cache.building.erase(key);
        cache.cv.notify_all();
      }
    } release{*this, lock, key};
    Expected<std::shared_ptr<V>> built = build();
    lock.lock();
    if (built)
      entries[key] = *built;
    return built;
  }

  std::shared_ptr<V> lookup(const std::string &key) const {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = entries.find(key);
    return it == entries.end() ? nullptr : it->second;
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex);
    return entries.size();
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mutex);
    entries.clear();
  }

private:
  mutable std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, std::shared_ptr<V>> entries;
  std::set<std::string> building;
};

} // namespace attngen

#endif // ATTNGEN_RUNTIME_MEMORYCACHE_H
