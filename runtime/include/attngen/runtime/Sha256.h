//===- Sha256.h - SHA-256 (FIPS 180-4) for cache keys and entries -*- C++ -*-===//
//
// Cache keys and disk-cache entry checksums need a collision-resistant hash
// that is identical on every machine; a small self-contained SHA-256 avoids a
// crypto dependency.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_SHA256_H
#define ATTNGEN_RUNTIME_SHA256_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace attngen {

class Sha256 {
public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  void update(const void *data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  /// Finishes the hash; the object must not be updated afterwards.
  Digest finish();

  static Digest digest(std::string_view s);
  static std::string hex(const Digest &d);
  static std::string hexDigest(std::string_view s) { return hex(digest(s)); }

private:
  void compress(const uint8_t *block);

  uint32_t state[8];
  uint8_t buffer[64];
  size_t buffered = 0;
  uint64_t totalBytes = 0;
};

} // namespace attngen

#endif // ATTNGEN_RUNTIME_SHA256_H
