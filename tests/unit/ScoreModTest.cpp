// Score modifiers (issue 4): sliding window, logit soft cap and ALiBi through
// the DSL, the plan JSON, the exact reference and the emulation.
#include "catch.h"

#include "attngen/Analysis/CostModel.h"
#include "attngen/Frontend/Builder.h"
#include "attngen/Frontend/Parser.h"
#include "attngen/Frontend/Printer.h"
#include "attngen/Spec/Plan.h"
#include "attngen/reference/Emulate.h"
#include "attngen/reference/Exact.h"
#include "attngen/reference/Inputs.h"
#include "attngen/reference/Metrics.h"
#include "attngen/runtime/Launch.h"
#include "attngen/runtime/Workspace.h"

#include "AttentionOracle.h"
#include "RuntimeTestSupport.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

using namespace attngen;
using namespace attngen::ref;

namespace {

ParseResult parse(const std::string &body) {
  return parseVariants("variant w {\n" + body + "\n}\n", "w.attn");
}

Variant parseOne(const std::string &body) {
  ParseResult r = parse(body);
  INFO(body << "\n" << r.errors());
  REQUIRE(r.ok());
  REQUIRE(r.variants.size() == 1);
  return r.variants[0];
}

/// The one diagnostic of `body` (its statements start on line 2).
Diagnostic oneError(const std::string &body, int line, int column, const std::string &message) {
  ParseResult r = parse(body);
  INFO(body << "\n" << r.errors());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].line == line);
  CHECK(r.diagnostics[0].column == column);
  CHECK(r.diagnostics[0].message.find(message) != std::string::npos);
  return r.diagnostics[0];
}

/// The textbook loop with the modifiers written out as a dense bias table:
/// B[i][j] = -inf outside the window, -slope |i + diag - j| inside; the
/// score is cap(scale q.k) + B. The oracle of exactAttention's modifiers.
AttnOutput denseBiasAttention(const AttnInputs &in, double scale, bool causal, int left,
                              int right, double softcap, const std::vector<double> &slopes) {
  const int diag = in.shape.seqK - in.shape.seqQ;
  return test::biasedAttention(
      in, scale,
      [&](double x) { return softcap > 0 ? softcap * std::tanh(x / softcap) : x; },
      [&](int, int h, int i, int j) {
        const bool vis = !(causal && j > i + diag) && !(right >= 0 && j > i + diag + right) &&
                         !(left >= 0 && j < i + diag - left);
        const double slope = slopes.empty() ? 0.0 : slopes[size_t(h)];
        return vis ? -slope * std::fabs(double(i + diag - j)) : -INFINITY;
      });
}

Variant modVariant(DType qk, DType pv, bool causal, int left, int right, double softcap,
                   BiasKind bias) {
  Variant v;
  v.name = "mods";
  v.qk = qk;
  v.pv = pv;
  v.balance = bitWidth(qk) <= 8;
  v.head_dim = 64;
  v.gqa = 2;
  v.output = DType::F32;
  v.lse = true;
  v.mask = causal ? MaskKind::Causal : MaskKind::None;
  v.window_left = left;
  v.window_right = right;
  v.softcap = softcap;
  v.bias = bias;
  return v;
}

struct ModCase {
  const char *name;
  bool causal;
  int left, right;
  double softcap;
  BiasKind bias;
};

// Windows narrower and wider than a 64-key block, one- and two-sided, alone
// and combined with the cap and ALiBi (causal ALiBi without a cap runs as a
// column term; the LSE must still hold the whole bias).
const ModCase kCases[] = {
    {"window (40, 0) causal", true, 40, 0, 0, BiasKind::None},
    {"window (100, 30)", false, 100, 30, 0, BiasKind::None},
    {"window (-1, 20)", false, -1, 20, 0, BiasKind::None},
    {"window (70, -1)", false, 70, -1, 0, BiasKind::None},
    {"softcap 5", false, -1, -1, 5.0, BiasKind::None},
    {"alibi causal", true, -1, -1, 0, BiasKind::Alibi},
    {"alibi symmetric", false, -1, -1, 0, BiasKind::Alibi},
    {"window + softcap + alibi", true, 90, 0, 8.0, BiasKind::Alibi},
    // Right side 0 without the causal flag: ALiBi's column form (score_mod.h) too.
    {"window (60, 0) + alibi", false, 60, 0, 0, BiasKind::Alibi},
};

} // namespace

TEST_CASE("DSL: window, softcap and bias parse and print canonically", "[scoremod][frontend]") {
  Variant v = parseOne("mask = causal; window = (4096, 0); softcap = 50.0; bias = alibi;");
  CHECK(v.window_left == 4096);
  CHECK(v.window_right == 0);
  CHECK(v.softcap == 50.0);
  CHECK(v.bias == BiasKind::Alibi);
  std::string text = printVariant(v);
  CHECK(text.find("  window = (4096, 0);\n") != std::string::npos);
  CHECK(text.find("  softcap = 50;\n") != std::string::npos);
  CHECK(text.find("  bias = alibi;\n") != std::string::npos);
  ParseResult again = parseVariants(text, "again.attn");
  INFO(text << again.errors());
  REQUIRE(again.ok());
  CHECK(again.variants[0] == v);

  Variant two = parseOne("window = (128, 64); softcap = 30.5;");
  CHECK(two.window_left == 128);
  CHECK(two.window_right == 64);
  CHECK(printVariant(two).find("window = (128, 64);") != std::string::npos);

  // One side unbounded; both unbounded is no window and prints nothing.
  CHECK(parseOne("window = (-1, 16);").window_left == -1);
  Variant none = parseOne("window = (-1, -1); bias = none;");
  CHECK_FALSE(none.hasWindow());
  CHECK(printVariant(none) == printVariant(parseOne("")));
  // A variant without modifiers prints no modifier key (its cache key is unchanged).
  std::string plain = printVariant(parseOne("mask = causal;"));
  CHECK(plain.find("window") == std::string::npos);
  CHECK(plain.find("softcap") == std::string::npos);
  CHECK(plain.find("bias") == std::string::npos);
}

TEST_CASE("DSL: illegal windows, caps and biases are refused with a position", "[scoremod][frontend]") {
  oneError("window = (-2, 0);", 2, 11, "window left must be -1");
  oneError("window = (10, -5);", 2, 15, "window right must be -1");
  oneError("window = (1.5, 0);", 2, 11, "must be an integer");
  oneError("window = 4096;", 2, 10, "bad value '4096' for 'window'");
  oneError("window = (4096 0);", 2, 16, "expected ','");
  oneError("window = (4096, 0;", 2, 18, "expected ')'");
  Diagnostic causal = oneError("mask = causal;\nwindow = (128, 4);", 3, 1,
                               "with mask = causal the window's right side must be 0");
  CHECK(causal.hint.find("mask = none") != std::string::npos);
  // Order of the statements does not matter.
  oneError("window = (128, -1);\nmask = causal;", 2, 1, "right side must be 0");
  oneError("softcap = 0;", 2, 11, "softcap must be a finite number greater than 0");
  oneError("softcap = -3.0;", 2, 11, "greater than 0");
  oneError("softcap = big;", 2, 11, "bad value 'big' for 'softcap'");
  Diagnostic bias = oneError("bias = relative;", 2, 8, "bad value 'relative' for 'bias'");
  CHECK(bias.hint == "allowed: none, alibi, lowrank(R) with 1 <= R <= 64, dense");
  oneError("window = (1, 0);\nwindow = (2, 0);", 3, 1, "duplicate key 'window'");
}

TEST_CASE("builder: validateVariant checks the modifiers", "[scoremod][frontend]") {
  CHECK(VariantBuilder("a").window(256, 0).causal().softcap(20).bias(BiasKind::Alibi)
            .validate()
            .empty());
  CHECK(VariantBuilder("a").window(-3, 0).validate().size() == 1);
  CHECK(VariantBuilder("a").window(16, 16).causal().validate().size() == 1);
  CHECK(VariantBuilder("a").softcap(-1).validate().size() == 1);
  CHECK(VariantBuilder("a").softcap(std::nan("")).validate().size() == 1);
}

TEST_CASE("plan JSON carries the modifiers and refuses bad ones", "[scoremod][spec]") {
  KernelPlan plan;
  plan.variant = modVariant(DType::I8, DType::E4M3, true, 4096, 0, 50.0, BiasKind::Alibi);
  plan.target = *Target::parse("sm_89");
  plan.tiles = Tiles{64, 64, 4, 2};
  plan.kvChunk = 1024;
  std::string json = toJson(plan);
  CHECK(json.find("\"window_left\": 4096") != std::string::npos);
  CHECK(json.find("\"bias\": \"alibi\"") != std::string::npos);
  std::string err;
  auto back = planFromJson(json, err);
  INFO(err);
  REQUIRE(back);
  CHECK(back->variant == plan.variant);

  std::string bad = json;
  bad.replace(bad.find("\"alibi\""), 7, "\"rope\"");
  CHECK_FALSE(planFromJson(bad, err));
  CHECK(err.find("bad bias") != std::string::npos);
  bad = json;
  bad.replace(bad.find("\"softcap\": 50"), 13, "\"softcap\": \"x\"");
  CHECK_FALSE(planFromJson(bad, err));
  CHECK(err.find("softcap") != std::string::npos);
}

TEST_CASE("standard ALiBi slopes", "[scoremod][reference]") {
  // A power of two: 2^(-8 (h + 1) / H).
  for (int h = 0; h < 8; ++h)
    CHECK(alibiSlope(h, 8) == std::exp2(-(h + 1.0)));
  CHECK(alibiSlope(0, 32) == std::exp2(-0.25));
  // 12 heads: the 8-head sequence, then the odd terms of the 16-head one.
  CHECK(alibiSlope(7, 12) == std::exp2(-8.0));
  CHECK(alibiSlope(8, 12) == std::exp2(-0.5));
  CHECK(alibiSlope(11, 12) == std::exp2(-3.5));
  std::vector<float> s = standardAlibiSlopes(12);
  REQUIRE(s.size() == 12);
  CHECK(s[9] == float(std::exp2(-1.5)));
}

TEST_CASE("exact reference with modifiers equals the dense-bias computation",
          "[scoremod][reference]") {
  AttnShape s{1, 4, 2, 150, 230, 64};
  AttnInputs in = randomNormal(s, 7);
  const double scale = 0.2; // sharper than 1/sqrt(D): the cap and the bias matter
  for (const ModCase &c : kCases) {
    Variant v = modVariant(DType::I8, DType::E4M3, c.causal, c.left, c.right, c.softcap, c.bias);
    v.scale = scale;
    ExactOptions eo = exactOptionsFor(v, s.headsQ);
    std::string err;
    auto got = exactAttention(in, eo, err);
    INFO(c.name << ": " << err);
    REQUIRE(got);
    AttnOutput want =
        denseBiasAttention(in, scale, c.causal, c.left, c.causal ? 0 : c.right,
                           c.softcap > 0 ? double(float(c.softcap)) : 0, eo.alibiSlopes);
    ErrorMetrics m = compare(got->o, want.o);
    INFO(m.str());
    CHECK(m.nonFinite == 0);
    CHECK(m.maxAbs < 1e-5);
    double lseErr = 0;
    for (size_t i = 0; i < want.lse.size(); ++i)
      lseErr = std::max(lseErr, double(std::fabs(got->lse[i] - want.lse[i])));
    CHECK(lseErr < 1e-4);
  }
  // The modifiers change the result (a test that cannot fail proves nothing).
  Variant plainV = modVariant(DType::I8, DType::E4M3, false, -1, -1, 0, BiasKind::None);
  Variant capV = plainV;
  capV.softcap = 1.0;
  std::string err;
  auto plain = exactAttention(in, exactOptionsFor(plainV, s.headsQ), err);
  auto capped = exactAttention(in, exactOptionsFor(capV, s.headsQ), err);
  REQUIRE(plain);
  REQUIRE(capped);
  CHECK(compare(capped->o, plain->o).maxAbs > 1e-2);
}

TEST_CASE("emulation with modifiers follows the exact reference", "[scoremod][reference]") {
  AttnShape s{1, 4, 2, 150, 230, 64};
  AttnInputs in = randomNormal(s, 11);
  for (const ModCase &c : kCases)
    for (DType pv : {DType::E4M3, DType::I8, DType::BF16}) {
      Variant v = modVariant(DType::I8, pv, c.causal, c.left, c.right, c.softcap, c.bias);
      std::string err;
      auto e = emulate(v, Tiles{64, 64, 4, 2}, 128, in, err);
      INFO(c.name << " pv=" << toString(pv) << ": " << err);
      REQUIRE(e);
      auto x = exactAttention(in, exactOptionsFor(v, s.headsQ), err);
      REQUIRE(x);
      ErrorMetrics m = compare(e->out.o, x->o);
      INFO(m.str());
      CHECK(m.nonFinite == 0);
      CHECK(m.cosine > 0.998);
      // The LSE holds the whole modified score (q_kmean only when uncapped).
      double lseErr = 0;
      for (size_t i = 0; i < x->lse.size(); ++i) {
        if (std::isinf(x->lse[i])) {
          CHECK(e->out.lse[i] == x->lse[i]);
          continue;
        }
        lseErr = std::max(lseErr, double(std::fabs(e->out.lse[i] - x->lse[i])));
      }
      CHECK(lseErr < 0.05);
    }
}

TEST_CASE("a window that leaves rows without keys: O = 0, LSE = -inf, no NaN",
          "[scoremod][reference]") {
  // Nq > Nk, window (10, 0) bottom-right: query i sees keys [i - 110, i - 100],
  // so rows 0..99 see nothing and rows from 100 on see 1 to 11 keys.
  AttnShape s{1, 2, 1, 210, 110, 64};
  AttnInputs in = randomNormal(s, 5);
  Variant v = modVariant(DType::I8, DType::BF16, false, 10, 0, 0, BiasKind::Alibi);
  v.gqa = 2;
  std::string err;
  auto x = exactAttention(in, exactOptionsFor(v, s.headsQ), err);
  auto e = emulate(v, Tiles{64, 64, 4, 2}, 128, in, err);
  INFO(err);
  REQUIRE(x);
  REQUIRE(e);
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 210; ++i) {
      const size_t li = size_t(h) * 210 + i, oi = li * 64;
      if (i < 100) {
        CHECK(x->lse[li] == -INFINITY);
        CHECK(e->out.lse[li] == -INFINITY);
        CHECK(e->out.o[oi] == 0.f);
        CHECK(x->o[oi] == 0.f);
      } else {
        CHECK(std::isfinite(e->out.lse[li]));
      }
    }
  ErrorMetrics m = compare(e->out.o, x->o);
  INFO(m.str());
  CHECK(m.nonFinite == 0);
  CHECK(m.cosine > 0.999);
}

TEST_CASE("wrong ALiBi slope counts are refused", "[scoremod][reference]") {
  AttnShape s{1, 4, 2, 64, 64, 64};
  AttnInputs in = randomNormal(s, 3);
  in.alibiSlopes = {0.5f, 0.25f};
  Variant v = modVariant(DType::I8, DType::E4M3, true, -1, 0, 0, BiasKind::Alibi);
  std::string err;
  CHECK_FALSE(emulate(v, Tiles{64, 64, 4, 2}, 128, in, err));
  CHECK(err.find("2 ALiBi slopes for 4 query heads") != std::string::npos);
  ExactOptions eo = exactOptionsFor(v, 4, in.alibiSlopes);
  CHECK_FALSE(exactAttention(in, eo, err));
  CHECK(err.find("ALiBi slopes") != std::string::npos);
}

TEST_CASE("a launch of an ALiBi variant needs the slopes", "[scoremod][launch]") {
  KernelPlan plan = test::defaultPlan();
  plan.variant.bias = BiasKind::Alibi;
  test::LaunchCase c(plan, Problem{1, 8, 8, 256, 256});
  Tensors t = c.tensors;
  Status s = c.check(t);
  CHECK_FALSE(s);
  CHECK(s.message().find("bias = alibi but alibi_slopes is null") != std::string::npos);
  t.alibi_slopes = reinterpret_cast<const float *>(uintptr_t(0x500002));
  s = c.check(t);
  CHECK(s.message().find("alibi_slopes is not 4-byte aligned") != std::string::npos);
  t.alibi_slopes = reinterpret_cast<const float *>(uintptr_t(0x500000));
  s = c.check(t);
  INFO(s.message());
  CHECK(s);
  auto params = c.params(t);
  REQUIRE(params);
  CHECK(params->alibi_slopes == t.alibi_slopes);
  // Without the bias the slopes are not passed on.
  c.plan.variant.bias = BiasKind::None;
  params = c.params(t);
  REQUIRE(params);
  CHECK(params->alibi_slopes == nullptr);
}

namespace {

std::string sourceDir() {
  if (const char *dir = std::getenv("ATTNGEN_SOURCE_DIR"))
    return dir;
  std::string file = __FILE__; // [<root>/]tests/unit/ScoreModTest.cpp
  size_t at = file.rfind("tests/unit/");
  return at == 0 || at == std::string::npos ? "." : file.substr(0, at - 1);
}

} // namespace

// Every shipped variant with modifiers, emulated at a shape where its window
// binds: as close to exact as the same recipe without the modifiers (the GPU
// tests then hold the kernels to their emulation).
TEST_CASE("shipped variants with modifiers: emulation close to exact", "[scoremod][reference]") {
  int seen = 0;
  for (const char *file : {"examples/sliding_window.attn", "examples/softcap.attn",
                           "examples/alibi.attn", "examples/lowrank_bias.attn",
                           "examples/dense_bias.attn",
                           "bench/variants.attn"}) {
    ParseResult r = parseVariantFile(sourceDir() + "/" + file);
    INFO(file << "\n" << r.errors());
    REQUIRE(r.ok());
    for (const Variant &v : r.variants) {
      if (!v.hasWindow() && !v.hasScoreMod())
        continue;
      ++seen;
      // Keys beyond the widest side; the emulation is O(N * width).
      const int width = std::max(v.window_left, v.window_right);
      const int n = std::min(v.hasWindow() ? width + 700 : 1500, 2600);
      AttnShape s{1, 2 * v.gqa, 2, n, n, v.head_dim};
      AttnInputs in = randomNormal(s, 61);
      if (v.bias == BiasKind::LowRank)
        addLowRankBias(in, v.bias_rank, 62);
      if (v.bias == BiasKind::Dense)
        addDenseBias(in, 63);
      std::string err;
      auto e = emulate(v, Tiles{64, 64, 4, 2}, 1024, in, err);
      INFO(v.name << ": " << err);
      REQUIRE(e);
      auto x = exactAttention(in, exactOptionsFor(v, s.headsQ), err);
      REQUIRE(x);
      ErrorMetrics m = compare(e->out.o, x->o);
      Variant base = v;
      base.window_left = base.window_right = -1;
      base.softcap = 0;
      base.bias = BiasKind::None;
      base.bias_rank = 0;
      AttnInputs plain = in;
      plain.biasRank = 0;
      plain.biasQ.clear();
      plain.biasK.clear();
      plain.biasDense.clear();
      auto eb = emulate(base, Tiles{64, 64, 4, 2}, 1024, plain, err);
      auto xb = exactAttention(plain, exactOptionsFor(base, s.headsQ), err);
      REQUIRE(eb);
      REQUIRE(xb);
      ErrorMetrics mb = compare(eb->out.o, xb->o);
      INFO(v.name << " N=" << n << ": " << m.str() << "\n  without modifiers: " << mb.str());
      CHECK(m.nonFinite == 0);
      CHECK(m.cosine >= 0.999);
      CHECK(m.cosine >= mb.cosine - 2e-4);
      CHECK(m.relL1 <= 1.25 * mb.relL1);
    }
  }
  CHECK(seen >= 12);
}

TEST_CASE("the cost model counts the scores a window leaves visible", "[scoremod][cost]") {
  KernelPlan plan = test::defaultPlan();
  struct Case {
    bool causal;
    int left, right, nq, nk;
  };
  for (const Case &c : {Case{true, 100, 0, 1000, 1000}, Case{false, 64, 32, 700, 1300},
                        Case{false, -1, 10, 900, 300}, Case{true, 4096, 0, 32768, 32768}}) {
    plan.variant.mask = c.causal ? MaskKind::Causal : MaskKind::None;
    plan.variant.window_left = c.left;
    plan.variant.window_right = c.right;
    double pairs = 0; // brute force: every (i, j) the mask lets through
    for (int i = 0; i < c.nq; ++i)
      for (int j = 0; j < c.nk; ++j) {
        const int d = i + c.nk - c.nq;
        if ((c.left < 0 || j >= d - c.left) && (c.right < 0 || j <= d + c.right))
          ++pairs;
      }
    CostReport r = analyzeCost(plan, ProblemShape{2, 4, 4, c.nq, c.nk});
    INFO(c.left << "," << c.right << " " << c.nq << "x" << c.nk);
    CHECK(r.flops == Approx(4.0 * 2 * 4 * plan.variant.head_dim * pairs).epsilon(1e-12));
  }
}
