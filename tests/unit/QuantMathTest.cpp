// Host checks of templates/attngen/quant/quant_math.h: the e4m3 encoder
// against an independent nearest-value search over the decode table, the
// 16-bit conversions, the all-zero-group rule and the group/permutation maps.
#include "catch.h"

#include "attngen/kernel/exp2_poly.h"
#include "attngen/quant/permute.h"
#include "attngen/quant/quant_math.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

using namespace attngen;

namespace {

/// Independent e4m3fn reference: the nearest finite code by exhaustive search,
/// ties to the code with an even mantissa, saturating at 448.
unsigned char nearestE4m3(float x) {
  if (std::isnan(x))
    return std::signbit(x) ? 0xff : 0x7f;
  const unsigned char sign = std::signbit(x) ? 0x80 : 0;
  const double a = std::fabs((double)x);
  if (a >= 448.0) // satfinite
    return (unsigned char)(sign | 0x7e);
  int best = 0;
  double bestErr = 1e300;
  for (int c = 0; c <= 0x7e; ++c) {
    const double err = std::fabs((double)decodeE4m3((unsigned char)c) - a);
    if (err < bestErr || (err == bestErr && (c & 1) == 0 && (best & 1) == 1)) {
      best = c;
      bestErr = err;
    }
  }
  return (unsigned char)(sign | best);
}

float fromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

} // namespace

TEST_CASE("e4m3 decode table", "[quant]") {
  CHECK(decodeE4m3(0x7e) == 448.f);
  CHECK(decodeE4m3(0x01) == std::ldexp(1.f, -9));
  CHECK(decodeE4m3(0x08) == std::ldexp(1.f, -6));
  CHECK(decodeE4m3(0x38) == 1.f);
  CHECK(std::isnan(decodeE4m3(0x7f)));
  CHECK(std::isnan(decodeE4m3(0xff)));
  CHECK(decodeE4m3(0xb8) == -1.f);
  // Decoded values increase strictly with the code over the finite range.
  for (int c = 1; c <= 0x7e; ++c)
    CHECK(decodeE4m3((unsigned char)c) > decodeE4m3((unsigned char)(c - 1)));
}

TEST_CASE("e4m3 encode round-trips every finite code", "[quant]") {
  for (int c = 0; c < 256; ++c) {
    if ((c & 0x7f) == 0x7f)
      continue;
    CHECK((int)encodeE4m3Soft(decodeE4m3((unsigned char)c)) == c);
  }
}

TEST_CASE("e4m3 encode rounds midpoints to even and saturates", "[quant]") {
  for (int c = 0; c < 0x7e; ++c) {
    const float lo = decodeE4m3((unsigned char)c), hi = decodeE4m3((unsigned char)(c + 1));
    const float mid = (float)(((double)lo + (double)hi) / 2); // exact in float
    const int even = (c & 1) ? c + 1 : c;
    CHECK((int)encodeE4m3Soft(mid) == even);
    CHECK((int)encodeE4m3Soft(std::nextafter(mid, 0.f)) == c);
    CHECK((int)encodeE4m3Soft(std::nextafter(mid, 1e9f)) == c + 1);
    CHECK((int)encodeE4m3Soft(-mid) == (even | 0x80));
  }
  CHECK(encodeE4m3Soft(448.f) == 0x7e);
  CHECK(encodeE4m3Soft(463.99f) == 0x7e);
  CHECK(encodeE4m3Soft(464.f) == 0x7e);
  CHECK(encodeE4m3Soft(1e30f) == 0x7e);
  CHECK(encodeE4m3Soft(std::numeric_limits<float>::infinity()) == 0x7e);
  CHECK(encodeE4m3Soft(-std::numeric_limits<float>::infinity()) == 0xfe);
  CHECK(encodeE4m3Soft(std::numeric_limits<float>::quiet_NaN()) == 0x7f);
  CHECK(encodeE4m3Soft(0.f) == 0x00);
  CHECK(encodeE4m3Soft(-0.f) == 0x80);
  CHECK(encodeE4m3Soft(std::ldexp(1.f, -10)) == 0x00); // half of the smallest subnormal
  CHECK(encodeE4m3Soft(std::ldexp(1.f, -11)) == 0x00);
  CHECK(encodeE4m3Soft(std::nextafter(std::ldexp(1.f, -10), 1.f)) == 0x01);
  CHECK(encodeE4m3Soft(fromBits(1)) == 0x00); // float subnormal
}

TEST_CASE("e4m3 encode matches a nearest-value search on random floats", "[quant]") {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<uint32_t> bits;
  std::uniform_real_distribution<float> exponent(-14.f, 10.f);
  for (int i = 0; i < 20000; ++i) {
    // Half log-uniform over the e4m3 range, half arbitrary bit patterns.
    const float x = (i % 2) ? std::exp2(exponent(rng)) * ((i % 4 == 1) ? 1.f : -1.f)
                            : fromBits(bits(rng));
    const unsigned char got = encodeE4m3Soft(x);
    const unsigned char want = nearestE4m3(x);
    if (std::isnan(x)) {
      CHECK((got & 0x7f) == 0x7f);
      continue;
    }
    INFO("x = " << x);
    CHECK((int)got == (int)want);
  }
}

TEST_CASE("16-bit conversions", "[quant]") {
  for (uint32_t h = 0; h < 65536; ++h) {
    const unsigned short hs = (unsigned short)h;
    if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0)
      continue; // NaN payloads are not preserved
    CHECK(floatToF16(f16ToFloat(hs)) == hs);
    const float b = bf16ToFloat(hs);
    if (!std::isnan(b))
      CHECK(floatToBf16(b) == hs);
  }
  CHECK(f16ToFloat(0x3c00) == 1.f);
  CHECK(f16ToFloat(0x0001) == std::ldexp(1.f, -24));
  CHECK(floatToF16(65520.f) == 0x7c00);
  CHECK(floatToF16(65519.f) == 0x7bff);
  CHECK(floatToF16(std::ldexp(1.f, -25)) == 0x0000); // tie to even (zero)
  CHECK(floatToF16(std::ldexp(3.f, -25)) == 0x0002); // tie to even (two)
  CHECK(floatToBf16(1.f + std::ldexp(1.f, -8)) == 0x3f80); // tie to even
  CHECK(floatToBf16(1.f + std::ldexp(3.f, -8)) == 0x3f82);
}

TEST_CASE("integer quantization and the all-zero group", "[quant]") {
  CHECK(quantInvScale(0.f, kInt8Max) == 0.f);
  CHECK(quantScale(0.f, kInt8Max) == 0.f);
  CHECK(quantizeInt(0.f, 0.f, kInt8Max) == 0);
  CHECK(quantizeE4m3(0.f, quantInvScale(0.f, kFp8Max)) == 0);
  const float inv = quantInvScale(2.54f, kInt8Max);
  CHECK(quantizeInt(2.54f, inv, kInt8Max) == 127);
  CHECK(quantizeInt(-2.54f, inv, kInt8Max) == -127);
  CHECK(quantizeInt(100.f, inv, kInt8Max) == 127); // clamped
  CHECK(quantizeInt(2.5f, 1.f, kInt8Max) == 2);     // ties to even
  CHECK(quantizeInt(3.5f, 1.f, kInt8Max) == 4);
  CHECK(quantizeInt(-2.5f, 1.f, kInt8Max) == -2);
  CHECK(quantizeInt(9.f, 1.f, kInt4Max) == 7);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  for (int i = 0; i < 1000; ++i) {
    const float x = nd(rng) * 3;
    CHECK(quantizeInt(x, 1.f, kInt8Max) == (int)std::nearbyint(std::fmin(std::fmax(x, -127.f), 127.f)));
  }
  CHECK(smoothedAmax(3.f, -1.f, 0.5f) == 2.5f);
  CHECK(smoothedAmax(3.f, -1.f, 2.5f) == 3.5f);
}

TEST_CASE("group maps and the perm32 inverse", "[quant]") {
  for (int t = 0; t < 32; ++t) {
    CHECK(perm32(invPerm32(t)) == t);
    CHECK(invPerm32(perm32(t)) == t);
  }
  CHECK(qGroupOf(gran::Thread, 0, 128) == qGroupOf(gran::Thread, 8, 128));
  CHECK(qGroupOf(gran::Thread, 0, 128) != qGroupOf(gran::Thread, 1, 128));
  CHECK(qGroupOf(gran::Thread, 3, 128) != qGroupOf(gran::Thread, 19, 128));
  CHECK(qGroupOf(gran::Warp, 15, 128) == 0);
  CHECK(qGroupOf(gran::Warp, 16, 128) == 1);
  CHECK(qGroupOf(gran::Block, 127, 128) == 0);
  CHECK(kGroupOf(gran::Thread, 2, 128) == kGroupOf(gran::Thread, 11, 128));
  CHECK(kGroupOf(gran::Thread, 2, 128) != kGroupOf(gran::Thread, 4, 128));
  CHECK(kGroupOf(gran::Thread, 2, 128) != kGroupOf(gran::Thread, 130, 128));
  CHECK(kGroupOf(gran::Tensor, 1000, 128) == 0);
}

TEST_CASE("fixed-order reductions", "[quant]") {
  float s[32];
  double want = 0;
  for (int i = 0; i < 32; ++i) {
    s[i] = 1.f + (float)i / 8;
    want += s[i];
  }
  CHECK(treeSum32(s) == (float)want);
  float q[64], m[64], scratch[8];
  double dot = 0;
  for (int c = 0; c < 64; ++c) {
    q[c] = (float)(c % 5) - 2.f;
    m[c] = 0.25f * (float)(c % 3);
    dot += (double)q[c] * m[c];
  }
  CHECK(kmeanDot(q, m, 64, scratch) == (float)dot); // small integers: exact
}

TEST_CASE("balance factor: 2^round(log2(k / q) / 2), ties up, clamped", "[quant]") {
  CHECK(balanceFactor(0.f, 1.f) == 1.f);
  CHECK(balanceFactor(1.f, 0.f) == 1.f);
  CHECK(balanceFactor(std::nanf(""), 1.f) == 1.f);
  CHECK(balanceFactor(1.f, 1.f) == 1.f);
  CHECK(balanceFactor(2.f, 1.f) == 2.f);   // log2 / 2 = 0.5: tie, up
  CHECK(balanceFactor(1.f, 2.f) == 1.f);   // -0.5: tie, up
  CHECK(balanceFactor(16.f, 1.f) == 4.f);  // exactly 2
  CHECK(balanceFactor(1.f, 16.f) == 0.25f);
  CHECK(balanceFactor(1.f, 8.f) == 0.5f);  // -1.5: tie, up to -1
  CHECK(balanceFactor(1e30f, 1e-30f) == std::ldexp(1.f, kBalanceMaxLog2));
  CHECK(balanceFactor(1e-30f, 1e30f) == std::ldexp(1.f, -kBalanceMaxLog2));
  std::mt19937 rng(99);
  std::uniform_real_distribution<double> logs(-30, 30);
  for (int i = 0; i < 20000; ++i) {
    const float k = float(std::exp2(logs(rng))), q = float(std::exp2(logs(rng)));
    const double half = 0.5 * std::log2(double(k / q));
    const float a = balanceFactor(k, q);
    int e = 0;
    REQUIRE(std::frexp(a, &e) == 0.5); // a power of two
    const double n = std::log2(double(a));
    INFO("k=" << k << " q=" << q << " a=" << a);
    if (std::abs(half) < kBalanceMaxLog2 - 1) {
      // Nearest integer to half (ties up, up to the rounding of k / q).
      CHECK(n - half <= 0.5 + 1e-6);
      CHECK(half - n < 0.5 + 1e-6);
    }
  }
}

TEST_CASE("exp2Poly: relative error under 1.02e-4, exact powers of two, clamped below",
          "[quant]") {
  // Every float step of width 2^-12 over the range the softmax feeds it:
  // [-30, 9] covers FP8 P (up to log2 448) and INT8 P (<= 0) with margin.
  double worst = 0;
  for (int i = -30 * 4096; i <= 9 * 4096; ++i) {
    const float x = float(i) / 4096.f;
    const double rel = std::fabs(double(exp2Poly(x)) / std::exp2(double(x)) - 1.0);
    worst = std::max(worst, rel);
  }
  INFO("worst relative error " << worst);
  CHECK(worst < 1.02e-4);
  CHECK(worst > 5e-5); // a cubic, not exp2 itself: the bound is not vacuous
  // Integers hit the cubic at f = 0, where it is exactly 1.
  for (int j = -100; j <= 20; ++j)
    CHECK(exp2Poly(float(j)) == std::ldexp(1.f, j));
  // Below the clamp, -inf (a masked score) and NaN: 2^-120, a positive normal
  // float that every 8-bit P rounds to 0.
  const float floor = std::ldexp(1.f, -120);
  for (float x : {-120.f, -500.f, -std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN()})
    CHECK(exp2Poly(x) == floor);
  CHECK(decodeE4m3(encodeE4m3(floor)) == 0.f);
  CHECK(roundEven(127.f * floor) == 0.f);
  // The top of FP8 P: 448 saturates to 448, not to a NaN code.
  CHECK(decodeE4m3(encodeE4m3(exp2Poly(kLog2Fp8Max))) == 448.f);
}
