//===- DiskCache.h - Compiled cubins kept across processes ------*- C++ -*-===//
//
// One file per key, `<key>.cubin`: a 56-byte header (magic, format version,
// payload length, payload SHA-256) then the payload. Entries are written to a
// temporary file in the same directory and renamed into place, so a reader
// sees a whole entry or none. `getOrCompile` holds an flock on `<key>.lock`
// around compile-and-store and looks again after taking it, so two processes
// asking for the same kernel compile it once. An entry whose header or hash
// does not check out is removed and rebuilt.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_DISKCACHE_H
#define ATTNGEN_RUNTIME_DISKCACHE_H

#include "attngen/runtime/Error.h"

#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace attngen {

class DiskCache {
public:
  /// $ATTNGEN_CACHE_DIR, else $XDG_CACHE_HOME/attngen, else ~/.cache/attngen.
  static Expected<std::string> defaultDirectory();

  explicit DiskCache(std::string directory) : dir(std::move(directory)) {}
  const std::string &directory() const { return dir; }

  /// The payload of `key`, or nullopt when absent. A corrupt or truncated
  /// entry is removed and reported as absent.
  Expected<std::optional<std::string>> lookup(const std::string &key) const;
  /// Writes the entry atomically (temporary file + rename).
  Status store(const std::string &key, const std::string &payload) const;

  using Compile = std::function<Expected<std::string>()>;
  /// The payload of `key`; on a miss, compiles under the key's lock and
  /// stores. `hit` (if given) says whether the payload came from disk.
  Expected<std::string> getOrCompile(const std::string &key, const Compile &compile,
                                     bool *hit = nullptr) const;

  struct Entry {
    std::string key;
    uint64_t bytes; ///< file size
    std::time_t mtime;
  };
  /// Entries sorted by key.
  Expected<std::vector<Entry>> list() const;
  /// Removes every entry and lock file (not the directory).
  Status clear() const;

  std::string entryPath(const std::string &key) const;

private:
  Status ensureDirectory() const;
  std::string dir;
};

} // namespace attngen

#endif // ATTNGEN_RUNTIME_DISKCACHE_H
