// compileToPlan over a sweep of variants x targets: legal ones give the plan
// the rules call for, illegal ones the verifier's message (never a crash).
#include "catch.h"

#include "attngen/Pipeline/Compiler.h"
#include "attngen/kernel/tile_size.h"

#include <cmath>
#include <string>
#include <vector>

using namespace attngen;

namespace {

Target target(const char *name) {
  std::optional<Target> t = Target::parse(name);
  REQUIRE(t);
  return *t;
}

CompileOptions optionsFor(const char *name) {
  CompileOptions options;
  options.target = target(name);
  return options;
}

CompileResult requirePlan(const std::variant<CompileResult, CompileError> &r) {
  if (const auto *e = std::get_if<CompileError>(&r))
    FAIL("unexpected compile error: " << e->message);
  return std::get<CompileResult>(r);
}

std::string requireError(const std::variant<CompileResult, CompileError> &r) {
  if (std::holds_alternative<CompileResult>(r))
    FAIL("expected a compile error, got a plan:\n" << std::get<CompileResult>(r).planIR);
  return std::get<CompileError>(r).message;
}

bool is8Bit(DType t) { return t == DType::I8 || t == DType::E4M3; }
bool is16Bit(DType t) { return t == DType::F16 || t == DType::BF16; }

int dtCode(DType t) {
  switch (t) {
  case DType::I4: return dt::I4;
  case DType::I8: return dt::I8;
  case DType::E4M3: return dt::E4M3;
  case DType::F16: return dt::F16;
  case DType::BF16: return dt::BF16;
  case DType::F32: return dt::F32;
  }
  return -1;
}

} // namespace

TEST_CASE("compileToPlan sweeps operand types x targets x shapes", "[pipeline]") {
  const DType qks[] = {DType::I4, DType::I8, DType::E4M3, DType::F16, DType::BF16};
  const DType pvs[] = {DType::I8, DType::E4M3, DType::F16, DType::BF16};
  const char *targets[] = {"sm_80", "sm_86", "sm_89", "sm_90", "sm_90a"};
  int legal = 0, illegal = 0;
  for (DType qk : qks)
    for (DType pv : pvs)
      for (const char *targetName : targets)
        for (int headDim : {64, 128, 256})
          for (MaskKind mask : {MaskKind::None, MaskKind::Causal}) {
            Variant v;
            v.name = "sweep";
            v.qk = qk;
            v.pv = pv;
            v.head_dim = headDim;
            v.mask = mask;
            v.smooth_k = !is16Bit(qk);
            Target t = target(targetName);
            INFO("qk=" << toString(qk) << " pv=" << toString(pv) << " target="
                       << targetName << " head_dim=" << headDim
                       << " mask=" << toString(mask));
            auto result = compileToPlan(v, CompileOptions{t, std::nullopt, true});

            bool fp8 = qk == DType::E4M3 || pv == DType::E4M3;
            if (fp8 && t.sm < 89) {
              CHECK(requireError(result).find("e4m3 (fp8) operands need sm_89 or newer, target is " +
                                              t.name()) != std::string::npos);
              ++illegal;
              continue;
            }
            if (qk == DType::I4 && headDim % 64 != 0) {
              CHECK(requireError(result).find("int4 QK needs head_dim") != std::string::npos);
              ++illegal;
              continue;
            }
            const CompileResult &r = requirePlan(result);
            const KernelPlan &p = r.plan;
            ++legal;
            CHECK(p.target == t);
            bool wgmma = t.hasWgmma() && qk != DType::I4 && (headDim == 64 || headDim == 128);
            CHECK(p.mainloop == (wgmma ? Mainloop::Wgmma : Mainloop::MmaSync));
            TileChoice c = selectTileSize(wgmma ? 1 : 0, headDim, dtCode(qk), dtCode(pv),
                                          mask == MaskKind::Causal);
            CHECK(p.tiles == Tiles{c.blockM, c.blockN, c.warps, c.stages});
            CHECK(p.kvChunk == 1024);
            // The canonical variant: explicit default scale, 16-bit fields reset.
            REQUIRE(p.variant.scale);
            CHECK(*p.variant.scale == Approx(1.0 / std::sqrt(double(headDim))));
            CHECK(p.variant.smooth_k == !is16Bit(qk));
            CHECK(p.variant.balance == !is16Bit(qk)); // on by default, cleared for 16-bit QK
            CHECK(p.variant.name == "sweep");

            std::vector<KernelRole> roles;
            for (const KernelDesc &k : p.kernels)
              roles.push_back(k.role);
            std::vector<KernelRole> expected;
            if (!is16Bit(qk) || is8Bit(pv))
              expected.push_back(KernelRole::KVStats);
            expected.push_back(KernelRole::QuantKV);
            if (!wgmma) // the wgmma kernel quantizes Q itself
              expected.push_back(KernelRole::QuantQ);
            expected.push_back(KernelRole::Attention);
            CHECK(roles == expected);
            const KernelDesc *att = p.find(KernelRole::Attention);
            REQUIRE(att);
            CHECK(att->symbol == "attngen_attention");
            CHECK(att->threads == p.tiles.warps * 32);
            CHECK(att->smemBytes == attentionSmemBytes(wgmma ? 1 : 0, headDim, dtCode(qk),
                                                       dtCode(pv), p.tiles.blockM,
                                                       p.tiles.blockN, p.tiles.stages));
            for (const KernelDesc &k : p.kernels)
              if (k.role != KernelRole::Attention) {
                CHECK(k.threads == 256);
                CHECK(k.smemBytes == 0);
              }
          }
  // Both outcomes were exercised.
  CHECK(legal > 100);
  CHECK(illegal > 20);
}

TEST_CASE("illegal variants return the verifier's message", "[pipeline]") {
  struct Case {
    const char *what;
    void (*edit)(Variant &);
    const char *target;
    const char *message;
  };
  const Case cases[] = {
      {"head_dim", [](Variant &v) { v.head_dim = 100; }, "sm_90a",
       "head_dim must be a positive multiple of 16 and at most 256, got 100"},
      {"8-bit head_dim", [](Variant &v) { v.head_dim = 48; }, "sm_90a",
       "8-bit QK (int8) needs head_dim to be a multiple of 32, got 48"},
      {"unimplemented head_dim", [](Variant &v) { v.head_dim = 96; }, "sm_89",
       "head_dim 96 is not implemented: the kernels run head_dim 64, 128 or 256"},
      {"gqa", [](Variant &v) { v.gqa = 0; }, "sm_90a", "gqa must be at least 1, got 0"},
      {"scale", [](Variant &v) { v.scale = -0.5; }, "sm_90a", "scale must be positive"},
      {"int4 pv", [](Variant &v) { v.pv = DType::I4; }, "sm_89", "int4 PV is not supported"},
      {"input", [](Variant &v) { v.input = DType::F32; }, "sm_90a",
       "input must be f16 or bf16, got f32"},
      {"q channel", [](Variant &v) { v.q_granularity = Granularity::Channel; }, "sm_90a",
       "q granularity cannot be channel"},
      {"q tensor", [](Variant &v) { v.q_granularity = Granularity::Tensor; }, "sm_90a",
       "q granularity cannot be tensor: a per-tensor Q scale needs a global pass over Q"},
      {"v token",
       [](Variant &v) {
         v.pv = DType::E4M3;
         v.v_granularity = Granularity::Token;
       },
       "sm_90a",
       "v granularity must be channel for 8-bit PV, got token"},
      {"smooth_q", [](Variant &v) { v.smooth_q = true; }, "sm_90a",
       "smooth_q is not supported yet by the kernel templates"},
      {"fp8 on sm_80", [](Variant &v) { v.pv = DType::E4M3; }, "sm_80",
       "e4m3 (fp8) operands need sm_89 or newer, target is sm_80"},
  };
  for (const Case &c : cases) {
    INFO(c.what);
    Variant v; // int8 QK, e4m3 PV, warp/block/channel, smooth_k
    c.edit(v);
    std::string message = requireError(compileToPlan(v, optionsFor(c.target)));
    CHECK(message.find(c.message) != std::string::npos);
  }
}

TEST_CASE("balance: KVStats when it needs the channel extrema", "[pipeline]") {
  // Nothing else needs statistics: no smoothing, 16-bit PV, block K scales.
  Variant v;
  v.pv = DType::F16;
  v.smooth_k = false;
  for (bool balance : {false, true}) {
    v.balance = balance;
    CompileResult r = requirePlan(compileToPlan(v, optionsFor("sm_90a")));
    INFO("balance " << balance);
    CHECK(r.plan.variant.balance == balance);
    CHECK((r.plan.find(KernelRole::KVStats) != nullptr) == balance);
    CHECK(r.planIR.find(balance ? "balance = true" : "balance = false") != std::string::npos);
  }
  // 16-bit QK: canonicalized off, no statistics.
  v.qk = DType::BF16;
  v.pv = DType::BF16;
  v.balance = true;
  CompileResult r = requirePlan(compileToPlan(v, optionsFor("sm_90a")));
  CHECK_FALSE(r.plan.variant.balance);
  CHECK(r.plan.find(KernelRole::KVStats) == nullptr);
}

TEST_CASE("tiles from the options are kept when legal and checked", "[pipeline]") {
  Variant v;
  v.pv = DType::F16;
  CompileOptions options{target("sm_80"), Tiles{128, 32, 8, 3}, true};
  CompileResult r = requirePlan(compileToPlan(v, options));
  CHECK(r.plan.tiles == Tiles{128, 32, 8, 3});
  CHECK(r.plan.find(KernelRole::Attention)->threads == 256);

  options.tiles = Tiles{32, 64, 4, 2}; // mma_sync needs 16 * 4 rows at least
  CHECK(requireError(compileToPlan(v, options))
            .find("mma_sync tiles need block_m to be a multiple of 16 * warps = 64, got 32") !=
        std::string::npos);
  options.target = target("sm_90a");
  options.tiles = Tiles{128, 128, 6, 2};
  CHECK(requireError(compileToPlan(v, options))
            .find("wgmma tiles need warps to be a multiple of 4") != std::string::npos);
}

TEST_CASE("IR text: MLIRGen, plan IR and its extraction agree", "[pipeline]") {
  Variant v;
  v.name = "sage2";
  v.pv = DType::E4M3;
  v.mask = MaskKind::Causal;
  v.gqa = 4;
  v.lse = true;
  v.layout = Layout::BNHD;
  v.scale = 0.1;
  std::string ir = variantToIR(v);
  CHECK(ir.find("attn.attention @sage2 <qk = int8, pv = e4m3, q = warp, k = block, v = channel, "
                "smooth_q = false, smooth_k = true, smooth_v = false, balance = true, "
                "mask = causal, "
                "head_dim = 128, layout = bnhd, gqa = 4, input = bf16, output = bf16, "
                "lse = true, scale = 1.000000e-01>") != std::string::npos);

  CompileResult r = requirePlan(compileToPlan(v, optionsFor("sm_90a")));
  CHECK(r.inputIR == ir);
  CHECK(r.planIR.find("attn.plan @sage2") != std::string::npos);
  CHECK(r.planIR.find("attn.attention") == std::string::npos);

  auto extracted = planFromIR(r.planIR);
  REQUIRE(std::holds_alternative<KernelPlan>(extracted));
  const KernelPlan &p = std::get<KernelPlan>(extracted);
  CHECK(p.variant == r.plan.variant);
  CHECK(p.variant.scale == std::optional<double>(0.1));
  CHECK(p.target == r.plan.target);
  CHECK(p.mainloop == r.plan.mainloop);
  CHECK(p.tiles == r.plan.tiles);
  REQUIRE(p.kernels.size() == r.plan.kernels.size());
  for (size_t i = 0; i < p.kernels.size(); ++i) {
    CHECK(p.kernels[i].role == r.plan.kernels[i].role);
    CHECK(p.kernels[i].symbol == r.plan.kernels[i].symbol);
    CHECK(p.kernels[i].threads == r.plan.kernels[i].threads);
    CHECK(p.kernels[i].smemBytes == r.plan.kernels[i].smemBytes);
  }

  auto bad = planFromIR("attn.kernel @x role = quant_q threads = 256 smem_bytes = 0");
  REQUIRE(std::holds_alternative<CompileError>(bad));
  CHECK(std::get<CompileError>(bad).message.find("expects parent op 'attn.plan'") !=
        std::string::npos);
  auto none = planFromIR("");
  REQUIRE(std::holds_alternative<CompileError>(none));
  CHECK(std::get<CompileError>(none).message.find("exactly one attn.plan") != std::string::npos);
}
