//===- Rng.h - The reference library's seeded generator ---------*- C++ -*-===//
//
// Private to runtime/reference (the input generators and the low-rank fit):
// the same stream on every platform.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_REFERENCE_RNG_H
#define ATTNGEN_REFERENCE_RNG_H

#include <cmath>
#include <cstdint>

namespace attngen::ref {

/// splitmix64: a tiny generator whose output is fixed by the seed on every
/// platform (std::normal_distribution is implementation-defined).
class Rng {
public:
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1) with 53 bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int below(int n) { return int(next() % uint64_t(n)); }
  double normal() {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    const double u1 = 1.0 - uniform(), u2 = uniform(); // u1 in (0, 1]
    const double r = std::sqrt(-2.0 * std::log(u1)), t = 6.283185307179586 * u2;
    spare = r * std::sin(t);
    hasSpare = true;
    return r * std::cos(t);
  }

private:
  uint64_t state;
  double spare = 0;
  bool hasSpare = false;
};

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_RNG_H
