// The CPU oracle: exact attention, variant emulation, metrics, inputs, bounds.
#include "catch.h"

#include "AttentionOracle.h"

#include "attngen/reference/Convert.h"
#include "attngen/reference/Emulate.h"
#include "attngen/reference/Exact.h"
#include "attngen/reference/Images.h"
#include "attngen/reference/Inputs.h"
#include "attngen/reference/Metrics.h"
#include "attngen/reference/Tolerance.h"

#include "attngen/quant/permute.h"
#include "attngen/quant/quant_math.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

using namespace attngen;
using namespace attngen::ref;

namespace {

/// The textbook loop, FP64, one row at a time: the oracle of the oracle
/// (AttentionOracle.h with the causal mask as a -inf bias).
AttnOutput naiveAttention(const AttnInputs &in, double scale, bool causal) {
  const AttnShape &s = in.shape;
  return test::biasedAttention(
      in, scale, [](double x) { return x; },
      [&](int, int, int i, int j) {
        return causal && j > i + s.seqK - s.seqQ ? -INFINITY : 0.0;
      });
}

AttnOutput exact(const AttnInputs &in, const Variant &v) {
  std::string err;
  auto r = exactAttention(in, {v.effectiveScale(), v.mask == MaskKind::Causal, 0}, err);
  INFO(err);
  REQUIRE(r);
  return *r;
}

Emulation emu(const Variant &v, const AttnInputs &in, Tiles t = {64, 64, 4, 2},
              int kvChunk = 128) {
  std::string err;
  auto e = emulate(v, t, kvChunk, in, err);
  INFO(err);
  REQUIRE(e);
  return std::move(*e);
}

Variant makeVariant(DType qk, DType pv, int D, int gqa) {
  Variant v;
  v.qk = qk;
  v.pv = pv;
  v.head_dim = D;
  v.gqa = gqa;
  v.input = DType::BF16;
  v.output = DType::F32;
  return v;
}

AttnInputs rounded(AttnInputs in, DType t) {
  roundTo(in.q, t);
  roundTo(in.k, t);
  roundTo(in.v, t);
  return in;
}

/// The element error of Q's or K's quantization in one slice (b, h): every
/// value times its row's scale must reproduce x within half a step, and the
/// group's largest magnitude must land on the type's largest value.
void checkRowQuantization(const QuantizedTensor &qt, const std::vector<float> &x, int n,
                          float extraScale, float qmax) {
  const int D = qt.dim;
  for (int h = 0; h < qt.heads; ++h)
    for (int r = 0; r < n; ++r) {
      const float scale = qt.scale[size_t(h) * qt.seqPad + r] / extraScale;
      for (int d = 0; d < D; ++d) {
        const float xv = x[(size_t(h) * n + r) * D + d];
        const float qv = qt.values[(size_t(h) * qt.seqPad + r) * D + d];
        REQUIRE(std::abs(qv) <= qmax);
        // Half a step for integers; e4m3 keeps 3 mantissa bits (2^-4 relative).
        const float tol = qmax == 448.f ? std::abs(xv) * 0.0625f + scale * 0.002f
                                        : scale * 0.5f * 1.0001f + 1e-6f;
        REQUIRE(std::abs(qv * scale - xv) <= tol);
      }
    }
}

} // namespace

TEST_CASE("metrics: identical, scaled, non-finite", "[reference]") {
  std::vector<float> ref = {1, -2, 3, 0.5f};
  ErrorMetrics same = compare(ref, ref);
  CHECK(same.cosine == Approx(1.0));
  CHECK(same.relL1 == 0);
  CHECK(same.maxAbs == 0);
  CHECK(same.nonFinite == 0);

  std::vector<float> twice = {2, -4, 6, 1};
  ErrorMetrics m = compare(twice, ref);
  CHECK(m.cosine == Approx(1.0));
  CHECK(m.relL1 == Approx(1.0));
  CHECK(m.maxAbs == Approx(3.0));
  CHECK(m.rmse == Approx(std::sqrt((1 + 4 + 9 + 0.25) / 4)));

  std::vector<float> neg = {-1, 2, -3, -0.5f};
  CHECK(compare(neg, ref).cosine == Approx(-1.0));

  std::vector<float> bad = {NAN, -2, INFINITY, 0.5f};
  CHECK(compare(bad, ref).nonFinite == 2);
  // The same -inf on both sides (a masked row's LSE) is equal, not an error.
  std::vector<float> lse = {-INFINITY, 1.f}, lse2 = {-INFINITY, 1.f};
  CHECK(compare(lse, lse2).nonFinite == 0);
  CHECK(compare(std::vector<float>{1.f}, ref).nonFinite == 4);
  CHECK(!m.str().empty());
}

TEST_CASE("exact attention matches the naive FP64 loop", "[reference]") {
  struct Case {
    AttnShape s;
    bool causal;
  };
  const Case cases[] = {
      {{2, 4, 2, 37, 53, 32}, false}, // GQA 2, Nq < Nk
      {{1, 3, 1, 37, 53, 16}, true},  // GQA 3, causal bottom-right, Nq < Nk
      {{1, 2, 2, 70, 45, 32}, true},  // causal Nq > Nk: 25 fully masked rows
      {{1, 1, 1, 1, 1, 8}, true},
  };
  for (const Case &c : cases) {
    AttnInputs in = randomNormal(c.s, 7);
    const double scale = 0.3;
    std::string err;
    auto got = exactAttention(in, {scale, c.causal, 3}, err);
    REQUIRE(got);
    AttnOutput want = naiveAttention(in, scale, c.causal);
    ErrorMetrics mo = compare(got->o, want.o), ml = compare(got->lse, want.lse);
    INFO(mo.str() << " | lse " << ml.str());
    CHECK(mo.nonFinite == 0);
    CHECK(mo.maxAbs < 1e-6);
    CHECK(ml.nonFinite == 0);
    CHECK(ml.maxAbs < 1e-5);
  }

  // The masked rows themselves: O = 0 and LSE = -inf, and the first visible
  // row sees exactly key 0 (O = v_0).
  AttnShape s{1, 1, 1, 10, 4, 8};
  AttnInputs in = randomNormal(s, 3);
  std::string err;
  auto r = exactAttention(in, {0, true, 1}, err);
  REQUIRE(r);
  for (int i = 0; i < 6; ++i) {
    CHECK(r->lse[size_t(i)] == -std::numeric_limits<float>::infinity());
    for (int d = 0; d < 8; ++d)
      CHECK(r->o[size_t(i) * 8 + d] == 0.f);
  }
  for (int d = 0; d < 8; ++d)
    CHECK(r->o[6 * 8 + d] == Approx(in.v[size_t(d)]));

  AttnShape badShape{1, 3, 2, 4, 4, 8};
  AttnInputs bad = randomNormal(badShape, 1);
  CHECK(!exactAttention(bad, {}, err));
  CHECK(err.find("multiple") != std::string::npos);
}

TEST_CASE("input generators are seeded and carry their features", "[reference]") {
  AttnShape s{1, 4, 2, 64, 96, 64};
  AttnInputs a = randomNormal(s, 11), b = randomNormal(s, 11), c = randomNormal(s, 12);
  CHECK(a.q == b.q);
  CHECK(a.v == b.v);
  CHECK(a.q != c.q);
  double mean = 0, var = 0;
  for (float x : a.k)
    mean += x;
  mean /= double(a.k.size());
  for (float x : a.k)
    var += (x - mean) * (x - mean);
  var /= double(a.k.size());
  CHECK(std::abs(mean) < 0.05);
  CHECK(var == Approx(1.0).epsilon(0.05));

  ActivationOptions opts;
  opts.paddingRuns = 0; // keep the sink token and the bias visible everywhere
  AttnInputs act = activationLike(s, 5, opts);
  const int D = s.headDim;
  // Channel bias: the per-channel token mean of K is far from 0 on average.
  double absMean = 0;
  for (int d = 0; d < D; ++d) {
    double m = 0;
    for (int n = 0; n < s.seqK; ++n)
      m += act.k[size_t(n) * D + d];
    absMean += std::abs(m / s.seqK);
  }
  CHECK(absMean / D > 1.5);
  // Sink: key 0 has the largest score for most rows of head 0.
  int sinkWins = 0;
  for (int i = 0; i < s.seqQ; ++i) {
    int best = 0;
    double bestDot = -INFINITY;
    for (int j = 0; j < s.seqK; ++j) {
      double dot = 0;
      // K's channel bias adds q . bias to every key of the row: argmax-neutral.
      for (int d = 0; d < D; ++d)
        dot += double(act.q[size_t(i) * D + d]) * act.k[size_t(j) * D + d];
      if (dot > bestDot) {
        bestDot = dot;
        best = j;
      }
    }
    sinkWins += best == 0;
  }
  CHECK(sinkWins > s.seqQ / 2);

  // Padding runs: some tokens are all zero in K, V and Q.
  AttnInputs padded = activationLike(s, 5);
  int zeroK = 0;
  for (int n = 0; n < s.seqK; ++n) {
    bool zero = true;
    for (int d = 0; d < D; ++d)
      zero &= padded.k[size_t(n) * D + d] == 0.f && padded.v[size_t(n) * D + d] == 0.f;
    zeroK += zero;
  }
  CHECK(zeroK >= 16);
}

TEST_CASE("16-bit emulation follows the exact reference closely", "[reference]") {
  // With fp16 operands the emulation's only error is fp16 rounding: this
  // checks the online softmax, masking, GQA and smoothing bookkeeping.
  for (bool causal : {false, true}) {
    AttnShape s{2, 4, 2, 150, 200, 64};
    Variant v = makeVariant(DType::F16, DType::F16, 64, 2);
    v.input = DType::F16;
    v.mask = causal ? MaskKind::Causal : MaskKind::None;
    v.smooth_k = true;
    v.smooth_v = true;
    AttnInputs in = rounded(randomNormal(s, 21), DType::F16);
    Emulation e = emu(v, in);
    AttnOutput x = exact(in, v);
    ErrorMetrics mo = compare(e.out.o, x.o), ml = compare(e.out.lse, x.lse);
    INFO("causal " << causal << ": " << mo.str() << " | lse " << ml.str());
    CHECK(mo.nonFinite == 0);
    CHECK(mo.cosine > 0.99999);
    CHECK(mo.relL1 < 2e-3);
    CHECK(ml.maxAbs < 2e-3); // q_kmean puts the smoothed-away q . mean back
  }
}

TEST_CASE("FP8 P V: the quantized row sum rescales each row only", "[reference]") {
  // The wgmma mainloop divides by sum_j e4m3(448 p_j) / 448 (the tensor-core
  // row sum), the mma.sync one by sum_j p_j: the numerators are the same, so
  // row i of O differs by l_p / l_q and its LSE by ln(l_q / l_p).
  AttnShape s{1, 2, 1, 130, 300, 64};
  Variant v = makeVariant(DType::I8, DType::E4M3, 64, 2);
  v.mask = MaskKind::Causal;
  AttnInputs in = rounded(randomNormal(s, 9), DType::BF16);
  std::string err;
  EmulationOptions quantized;
  quantized.quantizedRowSum = true;
  auto ep = emulate(v, Tiles{64, 64, 4, 2}, 128, in, err);
  auto eq = emulate(v, Tiles{64, 64, 4, 2}, 128, in, err, quantized);
  INFO(err);
  REQUIRE(ep);
  REQUIRE(eq);
  int differ = 0;
  for (size_t row = 0; row < ep->out.lse.size(); ++row) {
    const float *op = &ep->out.o[row * 64], *oq = &eq->out.o[row * 64];
    const double ratio = double(op[0]) / double(oq[0]); // l_q / l_p
    for (int d = 1; d < 64; ++d)
      CHECK(std::fabs(double(op[d]) - ratio * double(oq[d])) <= 1e-5 * std::fabs(op[d]) + 1e-7);
    CHECK(std::fabs(double(eq->out.lse[row] - ep->out.lse[row]) - std::log(ratio)) <= 2e-5);
    differ += ep->out.lse[row] != eq->out.lse[row];
  }
  CHECK(differ > 100); // the two sums really differ (e4m3 rounds most p)
}

TEST_CASE("exp2 polynomial columns move 8-bit P by the cubic's error only", "[reference]") {
  // EmulationOptions::polyExpColumns (the wgmma mainloop's sm90PolyExpGroups):
  // the first columns of each block take exp2Poly. Against the MUFU model the
  // output moves (some P8 round the other way) but stays as close to exact
  // attention, for FP8 and INT8 P, causal (masked columns inside the poly ones).
  AttnShape s{1, 2, 1, 130, 300, 64};
  AttnInputs in = rounded(randomNormal(s, 17), DType::BF16);
  for (DType pv : {DType::E4M3, DType::I8}) {
    Variant v = makeVariant(DType::I8, pv, 64, 2);
    v.mask = MaskKind::Causal;
    const AttnOutput x = exact(in, v);
    std::string err;
    EmulationOptions poly;
    poly.quantizedRowSum = pv == DType::E4M3;
    EmulationOptions mufu = poly;
    poly.polyExpColumns = 24;
    auto em = emulate(v, Tiles{64, 64, 4, 2}, 128, in, err, mufu);
    auto ep = emulate(v, Tiles{64, 64, 4, 2}, 128, in, err, poly);
    INFO(toString(pv) << " " << err);
    REQUIRE(em);
    REQUIRE(ep);
    const ErrorMetrics d = compare(ep->out.o, em->out.o);
    const ErrorMetrics am = compare(em->out.o, x.o), ap = compare(ep->out.o, x.o);
    INFO("poly vs mufu " << d.str() << " | mufu " << am.str() << " | poly " << ap.str());
    CHECK(d.maxAbs > 0.f);      // the option reaches the arithmetic
    CHECK(d.relL1 < 2e-3);      // ... and moves O by far less than 8-bit P's rounding
    CHECK(ap.nonFinite == 0);
    CHECK(ap.cosine > am.cosine - 2e-5);
  }
  // Only 8-bit P takes it, and within one block.
  Variant v16 = makeVariant(DType::I8, DType::F16, 64, 2);
  std::string err;
  EmulationOptions bad;
  bad.polyExpColumns = 8;
  CHECK_FALSE(emulate(v16, Tiles{64, 64, 4, 2}, 128, in, err, bad));
  CHECK(err.find("8-bit P") != std::string::npos);
  for (int cols : {65, -8}) {
    bad.polyExpColumns = cols;
    err.clear();
    CHECK_FALSE(emulate(makeVariant(DType::I8, DType::E4M3, 64, 2), Tiles{64, 64, 4, 2}, 128,
                        in, err, bad));
    CHECK(err.find("0..blockN") != std::string::npos);
  }
  // Causal Nq > Nk: the first Nq - Nk rows see no key; with the polynomial
  // (2^-120 for a masked score, not 0) they stay O = 0, LSE = -inf.
  AttnShape sm{1, 2, 1, 150, 100, 64};
  AttnInputs inm = rounded(randomNormal(sm, 5), DType::BF16);
  for (DType pv : {DType::E4M3, DType::I8}) {
    Variant v = makeVariant(DType::I8, pv, 64, 2);
    v.mask = MaskKind::Causal;
    EmulationOptions poly;
    poly.quantizedRowSum = pv == DType::E4M3;
    poly.polyExpColumns = 64;
    auto e = emulate(v, Tiles{64, 64, 4, 2}, 128, inm, err, poly);
    INFO(toString(pv) << " " << err);
    REQUIRE(e);
    for (int h = 0; h < 2; ++h)
      for (int i = 0; i < 50; ++i) {
        CHECK(e->out.lse[size_t(h) * 150 + i] == -INFINITY);
        CHECK(e->out.o[(size_t(h) * 150 + i) * 64] == 0.f);
      }
    CHECK(compare(e->out.o, exact(inm, v).o).cosine > 0.999);
  }
}

TEST_CASE("causal Nq > Nk: masked rows are O = 0, LSE = -inf in the emulation",
          "[reference]") {
  AttnShape s{1, 2, 1, 150, 100, 64};
  Variant v = makeVariant(DType::I8, DType::E4M3, 64, 2);
  v.mask = MaskKind::Causal;
  AttnInputs in = rounded(randomNormal(s, 4), DType::BF16);
  Emulation e = emu(v, in);
  AttnOutput x = exact(in, v);
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 50; ++i) {
      CHECK(e.out.lse[size_t(h) * 150 + i] == -INFINITY);
      CHECK(e.out.o[(size_t(h) * 150 + i) * 64] == 0.f);
    }
  ErrorMetrics mo = compare(e.out.o, x.o);
  INFO(mo.str());
  CHECK(mo.nonFinite == 0);
  CHECK(mo.cosine > 0.999);
}

TEST_CASE("emulation of every variant family and granularity", "[reference]") {
  AttnShape s{1, 4, 2, 200, 300, 64};
  AttnInputs in = rounded(randomNormal(s, 99), DType::BF16);
  const Granularity grans[] = {Granularity::Block, Granularity::Warp, Granularity::Thread,
                               Granularity::Token};
  struct Family {
    DType qk, pv;
    double minCos;
  };
  // Random normal inputs: int8 QK keeps cos >= 0.999; fp8 QK (3 mantissa
  // bits, ~0.9986 here) and int4 QK (~0.98) are coarser.
  const Family families[] = {{DType::I8, DType::E4M3, 0.999}, {DType::I8, DType::F16, 0.999},
                             {DType::E4M3, DType::E4M3, 0.998}, {DType::I8, DType::I8, 0.999},
                             {DType::I4, DType::E4M3, 0.97}};
  AttnOutput x = exact(in, makeVariant(DType::I8, DType::E4M3, 64, 2));
  double relL1[5][2] = {};
  for (size_t f = 0; f < 5; ++f)
    for (Granularity qg : grans)
      for (Granularity kg : {Granularity::Tensor, Granularity::Block, Granularity::Warp,
                             Granularity::Thread, Granularity::Token})
        for (bool smooth : {false, true}) {
          Variant v = makeVariant(families[f].qk, families[f].pv, 64, 2);
          v.q_granularity = qg;
          v.k_granularity = kg;
          v.smooth_k = smooth;
          Emulation e = emu(v, in);
          ErrorMetrics m = compare(e.out.o, x.o);
          INFO(toString(v.qk) << "/" << toString(v.pv) << " q=" << toString(qg)
                              << " k=" << toString(kg) << " smooth=" << smooth << ": "
                              << m.str());
          CHECK(m.nonFinite == 0);
          CHECK(m.cosine >= families[f].minCos);
          if (qg == Granularity::Token && kg == Granularity::Token)
            relL1[f][smooth] = m.relL1;
        }
  // Sensible ordering: int4 QK is worse than int8 QK, fp16 PV better than fp8.
  CHECK(relL1[4][1] > 2 * relL1[0][1]);
  CHECK(relL1[1][1] < relL1[0][1]);
}

TEST_CASE("finer granularity quantizes better on activation-like inputs", "[reference]") {
  AttnShape s{1, 4, 1, 256, 256, 64};
  AttnInputs in = rounded(activationLike(s, 8), DType::BF16);
  AttnOutput x = exact(in, makeVariant(DType::I8, DType::E4M3, 64, 4));
  auto err = [&](Granularity qg, Granularity kg) {
    Variant v = makeVariant(DType::I4, DType::E4M3, 64, 4);
    v.q_granularity = qg;
    v.k_granularity = kg;
    return compare(emu(v, in).out.o, x.o).relL1;
  };
  const double coarse = err(Granularity::Block, Granularity::Tensor);
  const double fine = err(Granularity::Token, Granularity::Token);
  INFO("block/tensor " << coarse << " token/token " << fine);
  CHECK(fine < coarse);
}

TEST_CASE("all-zero tokens and all-zero inputs produce no NaN", "[reference]") {
  AttnShape s{1, 4, 2, 160, 160, 64};
  ActivationOptions opts;
  opts.paddingRuns = 3;
  opts.paddingLength = 40; // whole zero quantization groups of every size
  AttnInputs in = rounded(activationLike(s, 31, opts), DType::BF16);
  for (DType qk : {DType::I8, DType::I4, DType::E4M3})
    for (DType pv : {DType::E4M3, DType::I8, DType::BF16})
      for (bool smooth : {false, true}) {
        Variant v = makeVariant(qk, pv, 64, 2);
        v.q_granularity = Granularity::Token;
        v.k_granularity = Granularity::Token;
        v.smooth_k = smooth;
        v.smooth_v = smooth;
        Emulation e = emu(v, in);
        CHECK(compare(e.out.o, e.out.o).nonFinite == 0);
        CHECK(compare(e.out.lse, e.out.lse).nonFinite == 0);
        CHECK(compare(e.q.scale, e.q.scale).nonFinite == 0);
        CHECK(compare(e.k.scale, e.k.scale).nonFinite == 0);
      }

  AttnInputs zeros;
  zeros.shape = s;
  zeros.q.assign(s.qElems(), 0.f);
  zeros.k.assign(s.kvElems(), 0.f);
  zeros.v.assign(s.kvElems(), 0.f);
  Variant v = makeVariant(DType::I8, DType::E4M3, 64, 2);
  v.smooth_v = true;
  Emulation e = emu(v, zeros);
  ErrorMetrics m = compare(e.out.o, zeros.q);
  CHECK(m.nonFinite == 0);
  CHECK(m.maxAbs == 0);
  for (float x : e.k.scale)
    CHECK(x == 0.f);
}

TEST_CASE("K smoothing: exact output unchanged, quantized error reduced", "[reference]") {
  AttnShape s{1, 2, 1, 128, 256, 64};
  AttnInputs plain = rounded(randomNormal(s, 17), DType::BF16);
  AttnInputs biased = plain;
  for (int d = 0; d < 64; ++d) // a large per-channel bias, constant over tokens
    for (int n = 0; n < 256; ++n)
      biased.k[size_t(n) * 64 + d] += float(8.0 * std::sin(1.7 * d + 0.3));
  biased = rounded(biased, DType::BF16);

  // fp16 PV and per-token Q: K's quantization error dominates what is left.
  Variant v = makeVariant(DType::I8, DType::F16, 64, 2);
  v.q_granularity = Granularity::Token;
  v.lse = true;
  AttnOutput xPlain = exact(plain, v), xBiased = exact(biased, v);
  // Exactness: the bias shifts each row of scores by a constant (up to bf16
  // rounding of the biased keys, hence not bit-equal).
  CHECK(compare(xBiased.o, xPlain.o).cosine > 0.9999);

  v.smooth_k = false;
  ErrorMetrics off = compare(emu(v, biased).out.o, xBiased.o);
  v.smooth_k = true;
  Emulation on = emu(v, biased);
  ErrorMetrics onM = compare(on.out.o, xBiased.o);
  INFO("smooth off: " << off.str() << "\nsmooth on:  " << onM.str());
  CHECK(onM.relL1 * 2 < off.relL1);
  CHECK(onM.cosine > off.cosine);
  // The LSE of the smoothed emulation still means the unsmoothed scores.
  CHECK(compare(on.out.lse, xBiased.lse).maxAbs < 0.05);
}

TEST_CASE("quantized operands reproduce their inputs within a step", "[reference]") {
  AttnShape s{1, 2, 1, 100, 130, 64};
  AttnInputs in = rounded(activationLike(s, 3), DType::BF16);
  for (DType qk : {DType::I8, DType::I4, DType::E4M3}) {
    Variant v = makeVariant(qk, DType::E4M3, 64, 2);
    v.q_granularity = Granularity::Thread;
    v.k_granularity = Granularity::Thread;
    v.smooth_k = true;
    v.smooth_v = true;
    Emulation e = emu(v, in);
    const float qmax = qk == DType::I8 ? 127.f : qk == DType::I4 ? 7.f : 448.f;
    const float smLog2 = float(v.effectiveScale() * 1.4426950408889634);
    // Balancing (on by default): Q is quantized as Q * a_c, K' as K' / a_c.
    REQUIRE(e.qkBalance.size() == 64);
    std::vector<float> qBal = in.q;
    for (size_t i = 0; i < qBal.size(); ++i)
      qBal[i] *= e.qkBalance[i % 64];
    checkRowQuantization(e.q, qBal, s.seqQ, smLog2, qmax);
    std::vector<float> kSmooth = in.k;
    for (int n = 0; n < s.seqK; ++n)
      for (int d = 0; d < 64; ++d)
        kSmooth[size_t(n) * 64 + d] =
            (kSmooth[size_t(n) * 64 + d] - e.kMean[size_t(d)]) / e.qkBalance[size_t(d)];
    checkRowQuantization(e.k, kSmooth, s.seqK, 1.f, qmax);

    // Thread groups, computed independently: Q rows {i, i+8} of each 16, K
    // tokens of a 64-block with equal (t mod 8) / 2 share one scale.
    for (int r = 0; r < e.seqQPad; ++r)
      CHECK(e.q.scale[size_t(r)] == e.q.scale[size_t(r / 16 * 16 + r % 8)]);
    for (int t = 0; t < e.seqKPad; ++t)
      CHECK(e.k.scale[size_t(t)] == e.k.scale[size_t(t / 64 * 64 + (t % 8) / 2 * 2)]);
    CHECK(e.q.scale[0] != e.q.scale[1]);
    // K mean in the kernels' order is the float mean of the statistics
    // sample (tokens n % kStatsSampleStride == 0) up to rounding.
    for (int d = 0; d < 64; ++d) {
      double m = 0;
      int count = 0;
      for (int n = 0; n < s.seqK; n += kStatsSampleStride, ++count)
        m += in.k[size_t(n) * 64 + d];
      CHECK(e.kMean[size_t(d)] == Approx(m / count).margin(1e-5));
    }
    // V: per-channel scale, smoothed values within half a step.
    for (int d = 0; d < 64; ++d)
      for (int n = 0; n < s.seqK; ++n) {
        const float x = in.v[size_t(n) * 64 + d] - e.vMean[size_t(d)];
        const float q = e.v.values[size_t(n) * 64 + d] * e.v.scale[size_t(d)];
        CHECK(std::abs(q - x) <= std::abs(x) * 0.0625f + e.v.scale[size_t(d)] * 0.01f);
      }
  }
}

TEST_CASE("derived bounds accept the emulation and reject a wrong kernel", "[reference]") {
  AttnShape s{1, 2, 1, 192, 192, 64};
  AttnInputs in = rounded(randomNormal(s, 5), DType::BF16);
  Variant v = makeVariant(DType::I8, DType::E4M3, 64, 2);
  v.output = DType::BF16;
  v.q_granularity = Granularity::Block;
  AttnOutput x = exact(in, v);
  Emulation e = emu(v, in);
  KernelBounds kb = deriveBounds(compare(e.out.o, x.o), compare(e.out.lse, x.lse), v.output);
  INFO(kb.vsEmulation.str() << " / " << kb.vsExact.str());
  CHECK(kb.vsEmulation.check(compare(e.out.o, e.out.o)).empty());
  CHECK(kb.vsExact.check(compare(e.out.o, x.o)).empty());

  // A "kernel" that used a different blockN (different K groups and P
  // blocks) and int4 Q must fail the tight bound against the emulation.
  Variant wrong = v;
  wrong.qk = DType::I4;
  Emulation w = emu(wrong, in, {64, 32, 4, 2});
  CHECK(!kb.vsEmulation.check(compare(w.out.o, e.out.o)).empty());
  CHECK(!kb.vsExact.check(compare(w.out.o, x.o)).empty());
  // A stand-in for a correct kernel (the same arithmetic with ex2.approx's
  // error) passes every family's bounds, on random and activation-like data.
  for (bool act : {false, true}) {
    AttnInputs data = act ? rounded(activationLike(s, 6), DType::BF16) : in;
    AttnOutput xd = exact(data, v);
    for (auto [qk, pv] : {std::pair{DType::I8, DType::E4M3}, std::pair{DType::I8, DType::I8},
                          std::pair{DType::E4M3, DType::E4M3}, std::pair{DType::I4, DType::E4M3},
                          std::pair{DType::I8, DType::BF16}}) {
      Variant f = v;
      f.qk = qk;
      f.pv = pv;
      std::string err;
      auto ref = emulate(f, Tiles{64, 64, 4, 2}, 128, data, err);
      auto kernel = emulate(f, Tiles{64, 64, 4, 2}, 128, data, err, {0, 2});
      REQUIRE(ref);
      REQUIRE(kernel);
      KernelBounds b = deriveBounds(compare(ref->out.o, xd.o), compare(ref->out.lse, xd.lse),
                                    f.output);
      ErrorMetrics vsEmu = compare(kernel->out.o, ref->out.o);
      INFO(toString(qk) << "/" << toString(pv) << " act=" << act << " vs emu " << vsEmu.str()
                        << " bound " << b.vsEmulation.str());
      if (!act) // near one-hot rows can round to the same bf16 outputs
        CHECK(vsEmu.relL1 > 0); // the jitter did change something
      CHECK(b.vsEmulation.check(vsEmu).empty());
      CHECK(b.vsExact.check(compare(kernel->out.o, xd.o)).empty());
      CHECK(compare(kernel->out.lse, ref->out.lse).maxAbs <= b.maxLseAbs);
    }
  }
  // A NaN anywhere fails.
  std::vector<float> nan = e.out.o;
  nan[7] = NAN;
  CHECK(!kb.vsEmulation.check(compare(nan, e.out.o)).empty());
}

TEST_CASE("emulate rejects what the kernels do not implement", "[reference]") {
  AttnShape s{1, 2, 1, 32, 32, 64};
  AttnInputs in = randomNormal(s, 1);
  std::string err;
  Variant v = makeVariant(DType::I8, DType::E4M3, 64, 2);
  v.smooth_q = true;
  CHECK(!emulate(v, Tiles{}, 1024, in, err));
  CHECK(err.find("smooth_q") != std::string::npos);
  v = makeVariant(DType::I8, DType::E4M3, 128, 2);
  CHECK(!emulate(v, Tiles{}, 1024, in, err));
  CHECK(err.find("head dim") != std::string::npos);
  v = makeVariant(DType::I8, DType::E4M3, 64, 2);
  v.q_granularity = Granularity::Tensor;
  CHECK(!emulate(v, Tiles{}, 1024, in, err));
  v = makeVariant(DType::I8, DType::I4, 64, 2);
  CHECK(!emulate(v, Tiles{}, 1024, in, err));
  AttnShape s96{1, 2, 1, 32, 32, 96};
  v = makeVariant(DType::I8, DType::E4M3, 96, 2);
  CHECK(!emulate(v, Tiles{}, 1024, randomNormal(s96, 1), err));
  CHECK(err.find("power of two") != std::string::npos);
}

TEST_CASE("workspace images of the emulated operands", "[reference]") {
  AttnShape s{1, 2, 1, 100, 100, 64};
  AttnInputs in = rounded(randomNormal(s, 2), DType::BF16);
  Variant v = makeVariant(DType::I8, DType::E4M3, 64, 2);
  Emulation e = emu(v, in); // tiles 64 x 64
  auto kImg = rowTileImages(e.k, 1, 64), vImg = vImages(e.v, 1, 64);
  REQUIRE(kImg.size() == size_t(e.seqKPad) * 64);
  REQUIRE(vImg.size() == size_t(e.seqKPad) * 64);
  // Hand-computed offsets (64-byte rows: 64B swizzle, chunk ^= (offset >> 7) & 3):
  // K token 2, channel 0 is at 2 * 64 = 128 -> 128 ^ 16 = 144.
  CHECK(int8_t(kImg[144]) == int(e.k.values[2 * 64 + 0]));
  CHECK(int8_t(kImg[0]) == int(e.k.values[0]));
  // V^T: token 2 sits in column 4 of its 32-group; channel 3's row starts
  // at 3 * 64 = 192, so 196 -> 196 ^ 16 = 212.
  CHECK(decodeE4m3(vImg[212]) == e.v.values[2 * 64 + 3]);
  // Second tile of V (tokens 64..127), token 64 + 1 -> column 1, channel 0.
  CHECK(decodeE4m3(vImg[64 * 64 + 1]) == e.v.values[65 * 64 + 0]);
  // Every code appears once: the images are permutations of the values.
  std::vector<uint8_t> codes;
  for (float x : e.v.values)
    codes.push_back(encodeE4m3Soft(x));
  std::vector<uint8_t> sortedImg = vImg;
  std::sort(codes.begin(), codes.end());
  std::sort(sortedImg.begin(), sortedImg.end());
  CHECK(codes == sortedImg);
  for (int t = 0; t < 32; ++t)
    CHECK(perm32(invPerm32(t)) == t);

  // int4 K: element 2i in the low nibble; fp16 V stays row-major 2 bytes each.
  Variant v4 = makeVariant(DType::I4, DType::F16, 64, 2);
  Emulation e4 = emu(v4, in);
  auto k4 = rowTileImages(e4.k, 1, 64), v16 = vImages(e4.v, 1, 64);
  REQUIRE(k4.size() == size_t(e4.seqKPad) * 32);
  REQUIRE(v16.size() == size_t(e4.seqKPad) * 128);
  const int lo = int(int8_t(uint8_t(k4[0] << 4)) >> 4), hi = int(int8_t(k4[0]) >> 4);
  CHECK(lo == int(e4.k.values[0]));
  CHECK(hi == int(e4.k.values[1]));
  const uint16_t h0 = uint16_t(v16[0] | (v16[1] << 8));
  CHECK(f16ToFloat(h0) == e4.v.values[0]);
  CHECK(rowTileImages(e4.k, 1, 48).empty()); // 128 rows are not 48-row tiles
}

TEST_CASE("conversions between caller tensors and reference floats", "[reference]") {
  std::vector<float> x = {1.f, -2.5f, 3.14159f, 65504.f, 1e-3f, 0.f};
  auto bf = floatsToHalfBits(x, DType::BF16);
  auto h = floatsToHalfBits(x, DType::F16);
  CHECK(bf[0] == 0x3f80);
  CHECK(h[0] == 0x3c00);
  CHECK(h[1] == 0xc100);
  auto back = halfBitsToFloats(h.data(), h.size(), DType::F16);
  CHECK(back[3] == 65504.f);
  CHECK(back[2] == Approx(3.14159).epsilon(1e-3));
  CHECK(halfBitsToFloats(bf.data(), bf.size(), DType::BF16)[2] == Approx(3.14159).epsilon(1e-2));

  // [B=2, N=3, H=2, D=2]: element (b, n, h, d) = 1000b + 100n + 10h + d.
  std::vector<float> bnhd;
  for (int b = 0; b < 2; ++b)
    for (int n = 0; n < 3; ++n)
      for (int hh = 0; hh < 2; ++hh)
        for (int d = 0; d < 2; ++d)
          bnhd.push_back(float(1000 * b + 100 * n + 10 * hh + d));
  auto bhnd = bnhdToBhnd(bnhd, 2, 3, 2, 2);
  // (b=1, h=1, n=2, d=1) at ((1*2+1)*3+2)*2+1 = 23.
  CHECK(bhnd[23] == 1211.f);
  CHECK(bhndToBnhd(bhnd, 2, 2, 3, 2) == bnhd);
}

TEST_CASE("emulation equals exact attention on its own dequantized operands",
          "[reference]") {
  // Independent of the online softmax: dequantize the emulation's Q and K
  // (value * scale, Q's scale back in natural-log units), run the exact
  // reference on them, and the only differences left are P's rounding to
  // fp16 and float arithmetic. A scale applied to the wrong token or group,
  // or a wrong block order, shows up far above that.
  AttnShape s{1, 4, 2, 130, 190, 64};
  AttnInputs in = rounded(activationLike(s, 12), DType::BF16);
  for (Granularity g : {Granularity::Block, Granularity::Thread}) {
    Variant v = makeVariant(DType::I8, DType::F16, 64, 2);
    v.q_granularity = g;
    v.k_granularity = g == Granularity::Block ? Granularity::Tensor : g;
    v.mask = MaskKind::Causal;
    v.smooth_v = true;
    Emulation e = emu(v, in);
    AttnInputs deq = in;
    const int D = 64;
    for (int h = 0; h < s.headsQ; ++h)
      for (int i = 0; i < s.seqQ; ++i)
        for (int d = 0; d < D; ++d)
          deq.q[(size_t(h) * s.seqQ + i) * D + d] =
              float(double(e.q.values[(size_t(h) * e.seqQPad + i) * D + d]) *
                    e.q.scale[size_t(h) * e.seqQPad + i] * M_LN2);
    for (int h = 0; h < s.headsKv; ++h)
      for (int j = 0; j < s.seqK; ++j)
        for (int d = 0; d < D; ++d) {
          const size_t src = (size_t(h) * e.seqKPad + j) * D + d;
          const size_t dst = (size_t(h) * s.seqK + j) * D + d;
          deq.k[dst] = float(double(e.k.values[src]) * e.k.scale[size_t(h) * e.seqKPad + j]);
          deq.v[dst] = e.v.values[src] + e.vMean[size_t(h) * D + d];
        }
    std::string err;
    auto x = exactAttention(deq, {1.0, true, 0}, err);
    REQUIRE(x);
    ErrorMetrics mo = compare(e.out.o, x->o);
    // The emulation's LSE minus q . mean(K) is the LSE of the smoothed scores.
    std::vector<float> lse = e.out.lse;
    for (int h = 0; h < s.headsQ; ++h)
      for (int i = 0; i < s.seqQ; ++i)
        lse[size_t(h) * s.seqQ + i] -= e.qKmean[size_t(h) * e.seqQPad + i];
    ErrorMetrics ml = compare(lse, x->lse);
    INFO(toString(g) << ": " << mo.str() << " | lse " << ml.str());
    CHECK(mo.nonFinite == 0);
    CHECK(mo.relL1 < 1e-3);
    CHECK(ml.maxAbs < 1e-4);
  }
}

TEST_CASE("results do not depend on the thread count", "[reference]") {
  AttnShape s{2, 4, 2, 100, 150, 64};
  AttnInputs in = rounded(activationLike(s, 77), DType::BF16);
  Variant v = makeVariant(DType::I8, DType::E4M3, 64, 2);
  v.mask = MaskKind::Causal;
  std::string err;
  auto one = emulate(v, Tiles{64, 64, 4, 2}, 64, in, err, {1});
  auto many = emulate(v, Tiles{64, 64, 4, 2}, 64, in, err, {5});
  REQUIRE(one);
  REQUIRE(many);
  CHECK(one->out.o == many->out.o);
  CHECK(one->out.lse == many->out.lse);
  CHECK(one->k.values == many->k.values);
  CHECK(one->kPartial == many->kPartial);
  auto x1 = exactAttention(in, {0, true, 1}, err), x5 = exactAttention(in, {0, true, 5}, err);
  REQUIRE(x1);
  REQUIRE(x5);
  CHECK(x1->o == x5->o);
}

TEST_CASE("edge shapes: one token, decode rows, D = 128 with 128-wide tiles", "[reference]") {
  struct Case {
    AttnShape s;
    bool causal;
    Tiles tiles;
  };
  const Case cases[] = {
      {{1, 1, 1, 1, 1, 64}, false, {64, 64, 4, 2}},
      {{1, 4, 1, 1, 1000, 64}, true, {64, 64, 4, 2}}, // one decode row, GQA 4
      {{2, 2, 2, 3, 2, 64}, true, {64, 64, 4, 2}},    // Nq > Nk: row 0 masked
      {{1, 2, 1, 300, 260, 128}, true, {128, 128, 12, 2}},
  };
  for (const Case &c : cases) {
    // Tiny shapes take plain normal data: padding runs would zero them all.
    AttnInputs in = rounded(c.s.seqK < 64 ? randomNormal(c.s, 9) : activationLike(c.s, 9),
                            DType::BF16);
    Variant v = makeVariant(DType::I8, DType::E4M3, c.s.headDim, c.s.gqa());
    v.mask = c.causal ? MaskKind::Causal : MaskKind::None;
    v.q_granularity = Granularity::Token;
    v.k_granularity = Granularity::Token;
    Emulation e = emu(v, in, c.tiles, 1024);
    AttnOutput x = exact(in, v);
    ErrorMetrics mo = compare(e.out.o, x.o), ml = compare(e.out.lse, x.lse);
    INFO("Nq=" << c.s.seqQ << " Nk=" << c.s.seqK << ": " << mo.str() << " | lse " << ml.str());
    CHECK(mo.nonFinite == 0);
    CHECK(ml.nonFinite == 0); // -inf rows agree
    CHECK(mo.cosine > 0.995);
    CHECK(e.seqQPad % c.tiles.blockM == 0);
    CHECK(e.seqKPad % c.tiles.blockN == 0);
  }
}

namespace {

/// Q * a_c and K / a_c (K unsmoothed: the mean cancels in softmax anyway).
AttnInputs balancedInputs(const AttnInputs &in, const Emulation &e) {
  const AttnShape &s = in.shape;
  const int D = s.headDim;
  AttnInputs out = in;
  for (int b = 0; b < s.batch; ++b)
    for (int h = 0; h < s.headsQ; ++h)
      for (int i = 0; i < s.seqQ; ++i)
        for (int d = 0; d < D; ++d)
          out.q[AttnShape::rowOffset(b, h, i, s.headsQ, s.seqQ, D) + d] *=
              e.qkBalance[(size_t(b) * s.headsKv + h / s.gqa()) * D + d];
  for (int b = 0; b < s.batch; ++b)
    for (int h = 0; h < s.headsKv; ++h)
      for (int j = 0; j < s.seqK; ++j)
        for (int d = 0; d < D; ++d)
          out.k[AttnShape::rowOffset(b, h, j, s.headsKv, s.seqK, D) + d] /=
              e.qkBalance[(size_t(b) * s.headsKv + h) * D + d];
  return out;
}

/// Relative L1 and cosine of the emulated O against exact attention.
ErrorMetrics emuError(const Variant &v, const AttnInputs &in, const AttnOutput &x,
                      Tiles t = {64, 64, 4, 2}, int kvChunk = 128) {
  return compare(emu(v, in, t, kvChunk).out.o, x.o);
}

} // namespace

TEST_CASE("balancing: power-of-two factors from the channel amaxes, exact product",
          "[reference][balance]") {
  AttnShape s{2, 4, 2, 200, 300, 64};
  AttnInputs in = rounded(activationLike(s, 21), DType::BF16);
  Variant v = makeVariant(DType::I8, DType::E4M3, 64, 2);
  REQUIRE(v.balance); // the default
  Emulation e = emu(v, in);
  const int D = 64;
  REQUIRE(e.qChunks == 2);
  REQUIRE(e.qkBalance.size() == size_t(2 * 2 * D));
  int moved = 0;
  for (int b = 0; b < s.batch; ++b)
    for (int hk = 0; hk < s.headsKv; ++hk)
      for (int d = 0; d < D; ++d) {
        // Independent amaxes: |Q| over the kv head's query heads and |K -
        // mean|, both over the statistics sample (tokens % kStatsStrideQ,
        // kStatsSampleStride == 0).
        double qa = 0, ka = 0;
        for (int g = 0; g < s.gqa(); ++g)
          for (int i = 0; i < s.seqQ; i += kStatsStrideQ)
            qa = std::max(qa, std::abs(double(in.q[AttnShape::rowOffset(
                                  b, hk * s.gqa() + g, i, s.headsQ, s.seqQ, D) + d])));
        const size_t hd = (size_t(b) * s.headsKv + hk) * D + d;
        for (int j = 0; j < s.seqK; j += kStatsSampleStride)
          ka = std::max(ka, std::abs(double(in.k[AttnShape::rowOffset(b, hk, j, s.headsKv,
                                                                      s.seqK, D) + d]) -
                                     e.kMean[hd]));
        const float a = e.qkBalance[hd];
        int exp = 0;
        CHECK(std::frexp(a, &exp) == 0.5); // a power of two
        if (qa == 0 || ka == 0) {
          CHECK(a == 1.f);
          continue;
        }
        // a = 2^round(log2(ka / qa) / 2): the balanced ratio lies in [1/2, 2].
        const double ratio = (ka / a) / (qa * a);
        CHECK(ratio >= 0.5 * (1 - 1e-6));
        CHECK(ratio <= 2 * (1 + 1e-6));
        moved += a != 1.f;
      }
  CHECK(moved > 0); // the outlier pairs were balanced

  // Exact attention of the balanced operands is the same, bit for bit: each
  // product q a * k / a is the same float.
  AttnOutput x = exact(in, v), xb = exact(balancedInputs(in, e), v);
  CHECK(x.o == xb.o);
  CHECK(x.lse == xb.lse);

  // Off: no factors, and Q quantized from the unscaled values.
  v.balance = false;
  Emulation off = emu(v, in);
  CHECK(off.qkBalance.empty());
  CHECK(off.q.values != e.q.values);
  // 16-bit QK ignores it.
  Variant h = makeVariant(DType::BF16, DType::BF16, 64, 2);
  CHECK(emu(h, in).qkBalance.empty());
}

TEST_CASE("balancing lowers the quantization error on activation-like inputs",
          "[reference][balance]") {
  AttnShape s{1, 4, 2, 512, 512, 64};
  AttnInputs in = rounded(activationLike(s, 5), DType::BF16);
  for (DType qk : {DType::I8, DType::I4}) {
    // fp16 PV isolates the QK quantization that balancing acts on.
    Variant v = makeVariant(qk, DType::F16, 64, 2);
    if (qk == DType::I4)
      v.q_granularity = Granularity::Thread;
    AttnOutput x = exact(in, v);
    v.balance = false;
    ErrorMetrics off = emuError(v, in, x);
    v.balance = true;
    ErrorMetrics on = emuError(v, in, x);
    INFO(toString(qk) << " balance off: " << off.str() << "\nbalance on:  " << on.str());
    CHECK(on.relL1 * 1.5 < off.relL1);
    CHECK(on.cosine > off.cosine);
  }
}

// The evidence for balancing and for the choice of the default variant at a
// product-like shape (docs/DSL.md quotes it; ~45 s on 2 cores). Prints one line
// per recipe and stage.
TEST_CASE("balancing evidence: B=1 H=8 N=2048 D=128, activation-like inputs",
          "[balance-evidence]") {
  AttnShape s{1, 8, 8, 2048, 2048, 128};
  AttnInputs in = rounded(activationLike(s, 2024), DType::BF16);
  const Tiles t{128, 128, 12, 2}; // the sm_90a plan of the default variant
  Variant v = makeVariant(DType::I8, DType::E4M3, 128, 1);
  v.output = DType::BF16;
  AttnOutput x = exact(in, v);
  struct Row {
    const char *name;
    DType qk, pv;
    Granularity qg, kg;
  };
  const Row rows[] = {
      {"int8/fp8 warp/block (default)", DType::I8, DType::E4M3, Granularity::Warp,
       Granularity::Block},
      {"int8/fp8 warp/thread", DType::I8, DType::E4M3, Granularity::Warp, Granularity::Thread},
      {"int8/fp8 token/token", DType::I8, DType::E4M3, Granularity::Token, Granularity::Token},
      {"int8/int8 warp/block", DType::I8, DType::I8, Granularity::Warp, Granularity::Block},
      {"int8/bf16 warp/block (QK only)", DType::I8, DType::BF16, Granularity::Warp,
       Granularity::Block},
      {"bf16/fp8 (P and V only)", DType::BF16, DType::E4M3, Granularity::Warp,
       Granularity::Block},
      {"bf16/int8 (P and V only)", DType::BF16, DType::I8, Granularity::Warp,
       Granularity::Block},
      {"bf16/bf16 (P rounding only)", DType::BF16, DType::BF16, Granularity::Warp,
       Granularity::Block},
  };
  ErrorMetrics defOff, defOn;
  for (const Row &r : rows)
    for (bool bal : {false, true}) {
      if (bitWidth(r.qk) > 8 && bal)
        continue;
      Variant w = v;
      w.qk = r.qk;
      w.pv = r.pv;
      w.q_granularity = r.qg;
      w.k_granularity = r.kg;
      w.balance = bal;
      ErrorMetrics m = emuError(w, in, x, t, 1024);
      std::printf("%-32s balance=%d  relL1=%.4f cos=%.6f rmse/refRms=%.4f\n", r.name, int(bal),
                  m.relL1, m.cosine, m.rmse / m.refRms);
      if (&r == &rows[0])
        (bal ? defOn : defOff) = m;
    }
  CHECK(defOn.relL1 < defOff.relL1);
  CHECK(defOn.cosine > defOff.cosine);
}
