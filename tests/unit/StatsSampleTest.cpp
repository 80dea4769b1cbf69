//===- StatsSampleTest.cpp - KVStats' sampled K / Q statistics (emulation) -===//
//
// The quantization contract (docs/ARCHITECTURE.md): K's channel mean and
// extrema and Q's channel amax come from the tokens t % kStatsSampleStride ==
// 0 (kStatsStrideQ; K: every token for a per-tensor K scale); V's statistics
// from every token.
// The emulation is the contract's reference, so these tests pin it down: what
// a token outside the sample changes and what it does not, the sample's lane
// order, and the mean's divisor.
//
//===----------------------------------------------------------------------===//
#include "catch.h"

#include "attngen/reference/Emulate.h"
#include "attngen/reference/Inputs.h"

#include "attngen/quant/quant_math.h"

#include <string>

using namespace attngen;
using namespace attngen::ref;

namespace {

Variant variant(Granularity kGran) {
  Variant v;
  v.qk = DType::I8;
  v.pv = DType::E4M3;
  v.head_dim = 64;
  v.gqa = 2;
  v.input = DType::BF16;
  v.output = DType::F32;
  v.smooth_k = true;
  v.balance = true;
  v.k_granularity = kGran;
  return v;
}

Emulation run(const Variant &v, const AttnInputs &in) {
  std::string err;
  auto e = emulate(v, Tiles{64, 64, 4, 2}, 128, in, err);
  INFO(err);
  REQUIRE(e);
  return std::move(*e);
}

/// Adds `delta` to channel d of token t of every (b, h) slice of x.
void bump(std::vector<float> &x, const AttnShape &s, int heads, int n, int t, int d,
          float delta) {
  for (int b = 0; b < s.batch; ++b)
    for (int h = 0; h < heads; ++h)
      x[AttnShape::rowOffset(b, h, t, heads, n, s.headDim) + size_t(d)] += delta;
}

} // namespace

TEST_CASE("sampled statistics: only the sample moves K's mean and the balance",
          "[reference][stats]") {
  const AttnShape s{1, 4, 2, 300, 333, 64};
  const AttnInputs in = activationLike(s, 5);
  const Variant v = variant(Granularity::Block);
  const Emulation base = run(v, in);

  // A large value at a token outside the sample: same mean, extrema, factors.
  AttnInputs off = in;
  bump(off.k, s, s.headsKv, s.seqK, kStatsSampleStride * 7 + 3, 5, 1000.f);
  bump(off.q, s, s.headsQ, s.seqQ, kStatsStrideQ * 9 + 1, 5, 1000.f);
  const Emulation eOff = run(v, off);
  CHECK(eOff.kMean == base.kMean);
  CHECK(eOff.kPartial == base.kPartial);
  CHECK(eOff.qkBalance == base.qkBalance);
  CHECK(eOff.k.values != base.k.values); // the token itself is still quantized

  // The same at a sampled token: the mean and Q's amax see it.
  AttnInputs on = in;
  bump(on.k, s, s.headsKv, s.seqK, kStatsSampleStride * 7, 5, 1000.f);
  bump(on.q, s, s.headsQ, s.seqQ, kStatsStrideQ * 9, 6, 1000.f);
  const Emulation eOn = run(v, on);
  CHECK(eOn.kMean[5] != base.kMean[5]);
  CHECK(eOn.qPartial != base.qPartial);
  CHECK(eOn.qkBalance[6] != base.qkBalance[6]);

  // The mean is the sampled tokens' sum (kernel lane order) over their count.
  const int count = statsCount(s.seqK, kStatsSampleStride);
  CHECK(count == (s.seqK + kStatsSampleStride - 1) / kStatsSampleStride);
  for (int d = 0; d < s.headDim; ++d) {
    float sum = 0.f;
    for (int c = 0; c < base.kvChunks; ++c)
      sum = quantAdd(sum, base.kPartial[size_t(c) * 3 * 64 + size_t(d)]);
    CHECK(base.kMean[size_t(d)] == quantDiv(sum, float(count)));
  }
}

TEST_CASE("sampled statistics: chunk partials follow the kernel's lane order",
          "[reference][stats]") {
  // One kv head, one chunk of 128 tokens: 16 sampled tokens, lane i holds
  // sampled token i (the lanes past 16 are empty), then treeSum32.
  const AttnShape s{1, 2, 1, 64, 128, 64};
  Variant v = variant(Granularity::Token);
  v.gqa = 2;
  const AttnInputs in = activationLike(s, 9);
  const Emulation e = run(v, in);
  std::vector<float> kIn = in.k;
  roundTo(kIn, DType::BF16);
  REQUIRE(e.kvChunks == 1);
  for (int d = 0; d < 64; ++d) {
    float lanes[32] = {};
    float mx = kIn[size_t(d)], mn = kIn[size_t(d)];
    for (int t = 0, i = 0; t < 128; t += kStatsSampleStride, ++i) {
      const float x = kIn[size_t(t) * 64 + size_t(d)];
      lanes[i % 32] = quantAdd(lanes[i % 32], x);
      mx = quantMax2(mx, x);
      mn = quantMin2(mn, x);
    }
    CHECK(e.kPartial[size_t(d)] == treeSum32(lanes));
    CHECK(e.kPartial[64 + size_t(d)] == mx);
    CHECK(e.kPartial[128 + size_t(d)] == mn);
  }
}

TEST_CASE("sampled statistics: per-tensor K and V read every token", "[reference][stats]") {
  const AttnShape s{1, 4, 2, 200, 257, 64};
  const AttnInputs in = activationLike(s, 13);
  const Variant v = variant(Granularity::Tensor);
  const Emulation base = run(v, in);
  AttnInputs off = in;
  const int t = kStatsSampleStride * 5 + 2; // outside the sample
  bump(off.k, s, s.headsKv, s.seqK, t, 3, 1000.f);
  bump(off.v, s, s.headsKv, s.seqK, t, 4, 1000.f);
  const Emulation e = run(v, off);
  CHECK(e.kMean[3] != base.kMean[3]);    // K's mean over every token
  CHECK(e.kPartial != base.kPartial);
  CHECK(e.v.scale[4] != base.v.scale[4]); // V's channel amax over every token
  // And the divisor is Nk: the mean of every token.
  for (int d = 0; d < s.headDim; ++d) {
    float sum = 0.f;
    for (int c = 0; c < base.kvChunks; ++c)
      sum = quantAdd(sum, base.kPartial[size_t(c) * 3 * 64 + size_t(d)]);
    CHECK(base.kMean[size_t(d)] == quantDiv(sum, float(s.seqK)));
  }
}
