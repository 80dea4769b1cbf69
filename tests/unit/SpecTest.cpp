// Variant/Target/plan model: spellings, equality, targets, plan JSON.
#include "catch.h"

#include "attngen/Spec/Plan.h"

#include <cmath>
#include <limits>
#include <random>

using namespace attngen;

namespace {

const DType kDTypes[] = {DType::I4,  DType::I8,   DType::E4M3,
                         DType::F16, DType::BF16, DType::F32};
const Granularity kGranularities[] = {
    Granularity::Tensor, Granularity::Block, Granularity::Warp,
    Granularity::Thread, Granularity::Token, Granularity::Channel};

KernelPlan samplePlan() {
  KernelPlan p;
  p.variant.name = "sample";
  p.variant.qk = DType::I4;
  p.variant.pv = DType::I8;
  p.variant.q_granularity = Granularity::Thread;
  p.variant.k_granularity = Granularity::Tensor;
  p.variant.v_granularity = Granularity::Tensor;
  p.variant.smooth_q = true;
  p.variant.smooth_k = false;
  p.variant.smooth_v = true;
  p.variant.balance = false;
  p.variant.mask = MaskKind::Causal;
  p.variant.head_dim = 64;
  p.variant.layout = Layout::BNHD;
  p.variant.gqa = 8;
  p.variant.input = DType::F16;
  p.variant.output = DType::F32;
  p.variant.lse = true;
  p.variant.scale = 0.1;
  p.target = Target{89, false};
  p.mainloop = Mainloop::MmaSync;
  p.tiles = Tiles{64, 32, 4, 3};
  p.kvChunk = 512;
  p.kernels = {{KernelRole::KVStats, "attngen_kv_stats", 256, 0},
               {KernelRole::QuantKV, "attngen_quant_kv", 256, 1024},
               {KernelRole::QuantQ, "attngen_quant_q", 256, 0},
               {KernelRole::Attention, "attngen_attention", 128, 98304}};
  return p;
}

bool samePlan(const KernelPlan &a, const KernelPlan &b) {
  if (!(a.variant == b.variant && a.target == b.target &&
        a.mainloop == b.mainloop && a.tiles == b.tiles &&
        a.kvChunk == b.kvChunk && a.kernels.size() == b.kernels.size()))
    return false;
  for (size_t i = 0; i < a.kernels.size(); ++i) {
    const KernelDesc &x = a.kernels[i], &y = b.kernels[i];
    if (x.role != y.role || x.symbol != y.symbol || x.threads != y.threads ||
        x.smemBytes != y.smemBytes)
      return false;
  }
  return true;
}

/// Expects planFromJson(json) to fail with `message` at byte `offset`.
void expectJsonError(const std::string &json, const std::string &message,
                     size_t offset) {
  std::string error;
  auto plan = planFromJson(json, error);
  INFO(json);
  INFO("error: " << error);
  CHECK_FALSE(plan.has_value());
  CHECK(error.find(message) != std::string::npos);
  CHECK(error.find("byte " + std::to_string(offset) + ":") !=
        std::string::npos);
}

std::string replaceOnce(std::string s, const std::string &from,
                        const std::string &to) {
  size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

} // namespace

TEST_CASE("enum spellings round-trip", "[spec]") {
  for (DType t : kDTypes)
    CHECK(parseDType(toString(t)) == t);
  for (Granularity g : kGranularities)
    CHECK(parseGranularity(toString(g)) == g);
  for (MaskKind m : {MaskKind::None, MaskKind::Causal})
    CHECK(parseMaskKind(toString(m)) == m);
  for (Layout l : {Layout::BHND, Layout::BNHD})
    CHECK(parseLayout(toString(l)) == l);
  for (Mainloop m : {Mainloop::MmaSync, Mainloop::Wgmma})
    CHECK(parseMainloop(toString(m)) == m);
  for (KernelRole r : {KernelRole::KVStats, KernelRole::QuantKV,
                       KernelRole::QuantQ, KernelRole::Attention})
    CHECK(parseKernelRole(toString(r)) == r);

  CHECK(toString(DType::E4M3) == "fp8");
  CHECK(toString(Granularity::Channel) == "channel");
  CHECK(toString(Mainloop::MmaSync) == "mma_sync");
  CHECK(toString(KernelRole::KVStats) == "kv_stats");
  CHECK(parseDType("e4m3") == DType::E4M3);
  CHECK(parseDType("fp8e4m3") == DType::E4M3);
  CHECK_FALSE(parseDType("fp8e5m2"));
  CHECK_FALSE(parseDType("INT8"));
  CHECK_FALSE(parseDType(""));
  CHECK_FALSE(parseGranularity("row"));
  CHECK_FALSE(parseMaskKind("sliding"));
  CHECK_FALSE(parseLayout("bshd"));
  CHECK_FALSE(parseMainloop("wgmma "));
  CHECK_FALSE(parseKernelRole("quant"));
}

TEST_CASE("dtype properties", "[spec]") {
  CHECK(bitWidth(DType::I4) == 4);
  CHECK(bitWidth(DType::I8) == 8);
  CHECK(bitWidth(DType::E4M3) == 8);
  CHECK(bitWidth(DType::F16) == 16);
  CHECK(bitWidth(DType::BF16) == 16);
  CHECK(bitWidth(DType::F32) == 32);
  CHECK(isInteger(DType::I4));
  CHECK(isInteger(DType::I8));
  CHECK_FALSE(isInteger(DType::E4M3));
  CHECK(isFloat8(DType::E4M3));
  CHECK_FALSE(isFloat8(DType::I8));
  CHECK_FALSE(isFloat8(DType::F16));
}

TEST_CASE("variant scale and equality", "[spec]") {
  Variant v;
  v.head_dim = 64;
  CHECK(v.effectiveScale() == 0.125);
  v.head_dim = 128;
  CHECK(v.effectiveScale() == Approx(1.0 / std::sqrt(128.0)));
  v.scale = 0.5;
  CHECK(v.effectiveScale() == 0.5);

  Variant a, b;
  CHECK(a == b);
  // Every field takes part in equality.
  auto differs = [&](auto mutate) {
    Variant c = a;
    mutate(c);
    return c != a;
  };
  CHECK(differs([](Variant &c) { c.name = "x"; }));
  CHECK(differs([](Variant &c) { c.qk = DType::F16; }));
  CHECK(differs([](Variant &c) { c.pv = DType::F16; }));
  CHECK(differs([](Variant &c) { c.q_granularity = Granularity::Token; }));
  CHECK(differs([](Variant &c) { c.k_granularity = Granularity::Token; }));
  CHECK(differs([](Variant &c) { c.v_granularity = Granularity::Tensor; }));
  CHECK(differs([](Variant &c) { c.smooth_q = true; }));
  CHECK(differs([](Variant &c) { c.smooth_k = false; }));
  CHECK(differs([](Variant &c) { c.smooth_v = true; }));
  CHECK(differs([](Variant &c) { c.balance = false; }));
  CHECK(differs([](Variant &c) { c.mask = MaskKind::Causal; }));
  CHECK(differs([](Variant &c) { c.head_dim = 64; }));
  CHECK(differs([](Variant &c) { c.layout = Layout::BNHD; }));
  CHECK(differs([](Variant &c) { c.gqa = 2; }));
  CHECK(differs([](Variant &c) { c.input = DType::F16; }));
  CHECK(differs([](Variant &c) { c.output = DType::F32; }));
  CHECK(differs([](Variant &c) { c.lse = true; }));
  // Setting the scale to its default value is still a different variant.
  CHECK(differs([](Variant &c) { c.scale = c.effectiveScale(); }));
}

TEST_CASE("targets", "[spec]") {
  for (const char *name : {"sm_80", "sm_86", "sm_89", "sm_90", "sm_90a"}) {
    auto t = Target::parse(name);
    REQUIRE(t);
    CHECK(t->name() == name);
  }
  CHECK(Target::parse("sm_90a")->archSpecific);
  CHECK_FALSE(Target::parse("sm_90")->archSpecific);
  CHECK(Target::parse("sm_89")->hasFp8());
  CHECK_FALSE(Target::parse("sm_86")->hasFp8());
  CHECK(Target::parse("sm_90a")->hasWgmma());
  CHECK_FALSE(Target::parse("sm_90")->hasWgmma());
  for (const char *bad :
       {"", "sm_", "sm_75", "sm_100", "sm_89a", "sm_80a", "sm90", "SM_90",
        "sm_90b", "sm_9O", "sm_+90", "sm_90aa", "compute_90"})
    CHECK_FALSE(Target::parse(bad));
  // The 'a' suffix exists only for sm_90.
  CHECK(Target{89, true}.name() == "sm_89");
  CHECK(Target{90, true}.name() == "sm_90a");
}

TEST_CASE("KernelPlan::find", "[spec]") {
  KernelPlan p = samplePlan();
  REQUIRE(p.find(KernelRole::Attention));
  CHECK(p.find(KernelRole::Attention)->symbol == "attngen_attention");
  CHECK(p.find(KernelRole::QuantKV)->smemBytes == 1024);
  p.kernels.pop_back();
  CHECK(p.find(KernelRole::Attention) == nullptr);
}

TEST_CASE("plan JSON round-trips", "[spec][json]") {
  KernelPlan p = samplePlan();
  std::string json = toJson(p);
  std::string error;
  auto back = planFromJson(json, error);
  INFO(json << "\n" << error);
  REQUIRE(back);
  CHECK(error.empty());
  CHECK(samePlan(*back, p));
  CHECK(toJson(*back) == json);

  SECTION("scale unset is null, not a number") {
    p.variant.scale.reset();
    json = toJson(p);
    CHECK(json.find("\"scale\": null") != std::string::npos);
    back = planFromJson(json, error);
    REQUIRE(back);
    CHECK_FALSE(back->variant.scale.has_value());
  }
  SECTION("strings with escapes") {
    p.variant.name = "we\"ird\\name\n\t\x01";
    p.kernels[0].symbol = "sym/\xc3\xa9";
    back = planFromJson(toJson(p), error);
    REQUIRE(back);
    CHECK(samePlan(*back, p));
  }
  SECTION("no kernels") {
    p.kernels.clear();
    back = planFromJson(toJson(p), error);
    REQUIRE(back);
    CHECK(back->kernels.empty());
  }
  SECTION("\\u escapes decode to UTF-8") {
    std::string text = replaceOnce(toJson(p), "\"attngen_kv_stats\"",
                                   "\"a\\u00e9\\ud83d\\ude00\\/\"");
    back = planFromJson(text, error);
    INFO(error);
    REQUIRE(back);
    CHECK(back->kernels[0].symbol == "a\xc3\xa9\xf0\x9f\x98\x80/");
  }
}

TEST_CASE("plan JSON round-trips random plans exactly", "[spec][json]") {
  std::mt19937_64 rng(20240611);
  auto pick = [&](int n) {
    return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(rng));
  };
  for (int iter = 0; iter < 300; ++iter) {
    KernelPlan p;
    p.variant.name = "v" + std::to_string(iter);
    p.variant.qk = kDTypes[pick(6)];
    p.variant.pv = kDTypes[pick(6)];
    p.variant.q_granularity = kGranularities[pick(6)];
    p.variant.k_granularity = kGranularities[pick(6)];
    p.variant.v_granularity = kGranularities[pick(6)];
    p.variant.smooth_q = pick(2);
    p.variant.smooth_k = pick(2);
    p.variant.smooth_v = pick(2);
    p.variant.balance = pick(2);
    p.variant.mask = pick(2) ? MaskKind::Causal : MaskKind::None;
    p.variant.head_dim = 16 * (1 + pick(16));
    p.variant.layout = pick(2) ? Layout::BNHD : Layout::BHND;
    p.variant.gqa = 1 + pick(16);
    p.variant.input = kDTypes[pick(6)];
    p.variant.output = kDTypes[pick(6)];
    p.variant.lse = pick(2);
    switch (pick(4)) {
    case 0:
      p.variant.scale.reset();
      break;
    case 1: // arbitrary bit patterns of positive finite doubles
      p.variant.scale = std::ldexp(
          std::uniform_real_distribution<double>(1, 2)(rng), pick(2000) - 1000);
      break;
    case 2:
      p.variant.scale =
          std::numeric_limits<double>::denorm_min() * (1 + pick(1000));
      break;
    default:
      p.variant.scale = 1.0 / std::sqrt(static_cast<double>(1 + pick(300)));
    }
    p.target = Target{std::vector<int>{80, 86, 89, 90}[pick(4)], pick(2) == 1};
    p.mainloop = pick(2) ? Mainloop::Wgmma : Mainloop::MmaSync;
    p.tiles = Tiles{16 << pick(4), 16 << pick(4), 1 + pick(16), 1 + pick(4)};
    p.kvChunk = pick(1 << 20) - 5; // negative values are still exact
    int n = pick(5);
    for (int k = 0; k < n; ++k)
      p.kernels.push_back({static_cast<KernelRole>(pick(4)),
                           "k" + std::to_string(pick(1000)),
                           32 * (1 + pick(32)), pick(1 << 30)});
    std::string json = toJson(p);
    std::string error;
    auto back = planFromJson(json, error);
    INFO(json << "\n" << error);
    REQUIRE(back);
    REQUIRE(samePlan(*back, p));
    REQUIRE(toJson(*back) == json);
  }
}

TEST_CASE("plan JSON rejects malformed input with a byte offset",
          "[spec][json]") {
  const std::string good = toJson(samplePlan());
  std::string error;
  REQUIRE(planFromJson(good, error));

  expectJsonError("", "unexpected end of input", 0);
  expectJsonError("   ", "unexpected end of input", 3);
  expectJsonError(good + "x", "unexpected text after the JSON value",
                  good.size());
  std::string cut = good.substr(0, good.find("\"tiles\": {") + 10);
  expectJsonError(cut, "expected a string key in object", cut.size());
  expectJsonError("[]", "plan must be an object, not an array", 0);
  expectJsonError("{\"a\" 1}", "expected ':' after object key", 5);
  expectJsonError("{\"a\": 1,}", "expected a string key in object", 8);
  expectJsonError("{\"a\": 1 \"b\": 2}", "expected ',' or '}' in object", 8);
  expectJsonError("{\"a\": [1 2]}", "expected ',' or ']' in array", 9);
  expectJsonError("{\"a\": tru}", "expected a value", 6);
  expectJsonError("{\"a\": 01}", "expected ',' or '}'", 7);
  expectJsonError("{\"a\": 1.}", "bad number", 6);
  expectJsonError("{\"a\": -}", "bad number", 6);
  expectJsonError("{\"a\": \"x\\q\"}", "bad escape", 8);
  expectJsonError("{\"a\": \"x\\ud800\"}", "unpaired surrogate", 8);
  expectJsonError("{\"a\": \"x\ny\"}", "control character in string", 8);
  expectJsonError("{\"a\": \"xy}", "unterminated string", 6);
  expectJsonError(std::string(100, '['), "nesting too deep", 16);

  auto at = [&](const std::string &text, const std::string &needle) {
    size_t p = text.find(needle);
    REQUIRE(p != std::string::npos);
    return p;
  };
  std::string t;
  t = replaceOnce(good, "\"block_m\"", "\"bogus\": 1, \"block_m\"");
  expectJsonError(t, "unknown key \"bogus\" in tiles", at(t, "\"bogus\""));
  t = replaceOnce(good, "\"warps\": 4", "\"warps\": 4, \"warps\": 4");
  expectJsonError(t, "duplicate key \"warps\" in tiles",
                  at(t, "\"warps\": 4, ") + 12);
  t = replaceOnce(good, "\"stages\": 3", "\"stagez\": 3");
  expectJsonError(t, "unknown key \"stagez\"", at(t, "\"stagez\""));
  t = replaceOnce(good, ",\n    \"stages\": 3", "");
  expectJsonError(t, "missing key \"stages\" in tiles",
                  at(t, "\"tiles\": ") + 9);
  t = replaceOnce(good, "\"gqa\": 8", "\"gqa\": \"8\"");
  expectJsonError(t, "gqa must be a number, not a string", at(t, "\"8\""));
  t = replaceOnce(good, "\"gqa\": 8", "\"gqa\": 8.5");
  expectJsonError(t, "gqa must be an integer", at(t, "8.5"));
  t = replaceOnce(good, "\"gqa\": 8", "\"gqa\": 1e3");
  expectJsonError(t, "gqa must be an integer", at(t, "1e3"));
  t = replaceOnce(good, "\"gqa\": 8", "\"gqa\": 99999999999");
  expectJsonError(t, "gqa must be an integer in int range",
                  at(t, "99999999999"));
  t = replaceOnce(good, "\"lse\": true", "\"lse\": 1");
  expectJsonError(t, "lse must be a boolean, not a number",
                  at(t, "\"lse\": 1") + 7);
  t = replaceOnce(good, "\"qk\": \"int4\"", "\"qk\": \"int3\"");
  expectJsonError(t, "bad qk \"int3\"", at(t, "\"int3\""));
  t = replaceOnce(good, "\"qk\": \"int4\"", "\"qk\": \"e4m3\"");
  expectJsonError(t, "bad qk \"e4m3\"", at(t, "\"e4m3\"")); // aliases: DSL only
  t = replaceOnce(good, "\"mainloop\": \"mma_sync\"", "\"mainloop\": \"mma\"");
  expectJsonError(t, "bad mainloop", at(t, "\"mma\""));
  t = replaceOnce(good, "\"role\": \"quant_q\"", "\"role\": \"quantq\"");
  expectJsonError(t, "bad kernel role", at(t, "\"quantq\""));
  t = replaceOnce(good, "\"scale\": 0.1", "\"scale\": \"0.1\"");
  expectJsonError(t, "scale must be a finite number or null", at(t, "\"0.1\""));
  t = replaceOnce(good, "\"scale\": 0.1", "\"scale\": 1e999");
  expectJsonError(t, "scale 1e999 is not a finite double", at(t, "1e999"));
  t = replaceOnce(good, "\"version\": 2", "\"version\": 1");
  expectJsonError(t, "unsupported plan version 1", at(t, "1,"));
  t = replaceOnce(good, "\"balance\": false", "\"balance\": 0");
  expectJsonError(t, "balance", at(t, "\"balance\": 0") + 11);
  t = replaceOnce(good, "\"attngen-plan\"", "\"other\"");
  expectJsonError(t, "format must be \"attngen-plan\"", at(t, "\"other\""));
  t = replaceOnce(good, "\"kernels\": [", "\"kernels\": {\"a\": 1}, \"x\": [");
  expectJsonError(t, "unknown key \"x\" in plan", at(t, "\"x\""));
  t = replaceOnce(good, "\"threads\": 128", "\"threads\": null");
  expectJsonError(t, "kernel threads must be a number, not null",
                  at(t, "null"));
  t = replaceOnce(good, "\"target\": {", "\"target\": [");
  expectJsonError(t, "expected ',' or ']' in array", at(t, "\"sm\"") + 4);
}

TEST_CASE("mutated plan JSON never crashes", "[spec][json]") {
  const std::string good = toJson(samplePlan());
  const std::string alphabet = "{}[]:,\"\\0123456789.eE-+ntrufalse \n";
  std::mt19937 rng(99);
  auto pick = [&](size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  int rejected = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s = good;
    size_t at = pick(s.size());
    if (pick(2))
      s[at] = alphabet[pick(alphabet.size())];
    else
      s.erase(at, 1 + pick(8));
    std::string error;
    auto plan = planFromJson(s, error);
    INFO(s << "\n" << error);
    if (plan) {
      // Accepted text means a complete plan that prints back stably.
      std::string again;
      REQUIRE(planFromJson(toJson(*plan), again));
      continue;
    }
    ++rejected;
    size_t byte = error.find("byte ");
    REQUIRE(byte != std::string::npos);
    REQUIRE(std::stoul(error.substr(byte + 5)) <= s.size());
  }
  CHECK(rejected > 1000);
}
