// Workspace regions per docs/ARCHITECTURE.md ("Workspace"): sizes, 256-byte
// alignment, no overlap, and the pointers filled into AttnParams.
#include "catch.h"

#include "RuntimeTestSupport.h"

#include "attngen/runtime/Launch.h"
#include "attngen/runtime/Workspace.h"

#include <algorithm>
#include <string>

using namespace attngen;

namespace {

size_t regionBytes(const WorkspaceLayout &l, const char *field) {
  const WorkspaceRegion *r = l.find(field);
  REQUIRE(r);
  return r->bytes;
}

void checkWellFormed(const WorkspaceLayout &l) {
  std::vector<std::pair<size_t, size_t>> used;
  for (const WorkspaceRegion &r : l.regions) {
    INFO(r.field);
    CHECK(r.offset % WorkspaceAlignment == 0);
    if (r.bytes) {
      CHECK(r.offset + r.bytes <= l.totalBytes);
      used.push_back({r.offset, r.offset + r.bytes});
    }
  }
  std::sort(used.begin(), used.end());
  for (size_t i = 1; i < used.size(); ++i)
    CHECK(used[i - 1].second <= used[i].first);
  CHECK(l.totalBytes % WorkspaceAlignment == 0);
}

} // namespace

TEST_CASE("workspace of the default int8/fp8 plan", "[workspace]") {
  KernelPlan plan = test::defaultPlan();
  plan.variant.gqa = 2;
  Problem p{2, 8, 4, 300, 1000};
  auto l = computeWorkspace(plan, p);
  REQUIRE(l);
  CHECK(l->seqQPad == 384);
  CHECK(l->seqKPad == 1024);
  CHECK(l->kvChunks == 1);
  const size_t B = 2, Hq = 8, Hkv = 4, D = 128;
  CHECK(regionBytes(*l, "q_quant") == 0); // Q is quantized inside attention (no QuantQ)
  CHECK(regionBytes(*l, "q_scale") == B * Hq * 384 * 4);
  CHECK(regionBytes(*l, "q_mean") == 0);
  CHECK(regionBytes(*l, "q_kmean") == B * Hq * 384 * 4);
  CHECK(regionBytes(*l, "k_quant") == B * Hkv * 1024 * D); // int8: one byte each
  CHECK(regionBytes(*l, "k_scale") == B * Hkv * 1024 * 4);
  CHECK(regionBytes(*l, "k_partial") == B * Hkv * 1 * 3 * D * 4);
  CHECK(regionBytes(*l, "k_mean") == B * Hkv * D * 4);
  CHECK(regionBytes(*l, "v_quant") == B * Hkv * D * 1024); // fp8 V^T
  CHECK(regionBytes(*l, "v_scale") == B * Hkv * D * 4);    // channel granularity
  CHECK(regionBytes(*l, "v_partial") == B * Hkv * 1 * 3 * D * 4);
  CHECK(regionBytes(*l, "v_mean") == B * Hkv * D * 4); // written by QuantKV for every variant
  CHECK(l->qChunks == 1);                               // balance (the default): Q extrema
  CHECK(regionBytes(*l, "q_partial") == B * Hkv * 1 * D * 4);
  CHECK(regionBytes(*l, "qk_balance") == B * Hkv * D * 4);
  CHECK(regionBytes(*l, "kv_head") == B * Hkv * 7 * D * 4); // partials reduced per head
  CHECK(regionBytes(*l, "kv_done") == B * Hkv * 4);         // KVStats' per-head counters
  CHECK(regionBytes(*l, "tile_counter") == 4); // the dynamic tile schedule's (wgmma plans)
  // Everything but the counters (32 and 4 bytes, last) is a multiple of 256:
  // the total is the sum with each counter rounded up.
  size_t sum = 0;
  for (const auto &r : l->regions)
    sum += r.bytes;
  CHECK(l->totalBytes == sum - B * Hkv * 4 - 4 + 2 * 256);
  checkWellFormed(*l);
}

TEST_CASE("workspace of int4 QK with a QuantQ kernel, smoothing and 16-bit PV", "[workspace]") {
  KernelPlan plan = test::defaultPlan();
  plan.variant.qk = DType::I4;
  plan.variant.pv = DType::F16;
  plan.variant.smooth_q = true;
  plan.variant.smooth_v = true;
  plan.variant.head_dim = 64;
  plan.tiles = Tiles{64, 64, 4, 2};
  plan.kvChunk = 512;
  plan.kernels.insert(plan.kernels.begin() + 2, {KernelRole::QuantQ, "attngen_quant_q", 256, 0});
  Problem p{1, 3, 3, 65, 1100};
  auto l = computeWorkspace(plan, p);
  REQUIRE(l);
  CHECK(l->seqQPad == 128);
  CHECK(l->seqKPad == 1152);
  CHECK(l->kvChunks == 3);
  CHECK(regionBytes(*l, "q_quant") == 3 * 128 * 64 / 2);
  CHECK(regionBytes(*l, "q_mean") == 3 * (128 / 64) * 64 * 4);
  CHECK(regionBytes(*l, "k_quant") == 3 * 1152 * 64 / 2);
  CHECK(regionBytes(*l, "k_partial") == 3 * 3 * 3 * 64 * 4);
  CHECK(regionBytes(*l, "v_quant") == 3 * 1152 * 64 * 2); // 16-bit tile images
  CHECK(regionBytes(*l, "v_scale") == 3 * 64 * 4); // ones for 16-bit PV: the epilogue reads them
  CHECK(regionBytes(*l, "v_mean") == 3 * 64 * 4);
  checkWellFormed(*l);
}

TEST_CASE("workspace regions are padded to 256 bytes", "[workspace]") {
  KernelPlan plan = test::defaultPlan();
  plan.variant.head_dim = 16; // k_mean = 16 floats = 64 bytes
  plan.variant.v_granularity = Granularity::Block;
  auto l = computeWorkspace(plan, Problem{1, 1, 1, 1, 1});
  REQUIRE(l);
  CHECK(regionBytes(*l, "k_mean") == 64);
  CHECK(regionBytes(*l, "v_scale") == 1 * (128 / 128) * 16 * 4); // per block
  const WorkspaceRegion *kMean = l->find("k_mean");
  const WorkspaceRegion *vQuant = l->find("v_quant");
  CHECK(vQuant->offset == kMean->offset + 256);
  checkWellFormed(*l);
}

TEST_CASE("workspace pointers in AttnParams", "[workspace]") {
  KernelPlan plan = test::defaultPlan();
  auto l = computeWorkspace(plan, Problem{1, 2, 2, 130, 1500});
  REQUIRE(l);
  AttnParams params{};
  char *base = reinterpret_cast<char *>(uintptr_t(1) << 20);
  fillWorkspace(params, *l, base);
  CHECK(params.q_quant == nullptr);
  CHECK(params.q_scale == reinterpret_cast<float *>(base + l->find("q_scale")->offset));
  CHECK(params.k_quant == base + l->find("k_quant")->offset);
  CHECK(params.v_quant == base + l->find("v_quant")->offset);
  CHECK(params.v_mean == reinterpret_cast<float *>(base + l->find("v_mean")->offset));
  CHECK(params.seq_q_pad == 256);
  CHECK(params.seq_k_pad == 1536);
  CHECK(params.kv_chunks == 2);
}

TEST_CASE("workspace of Q/K balancing", "[workspace]") {
  KernelPlan plan = test::defaultPlan();
  plan.kvChunk = 256;
  // Nq > Nk: KVStats covers more Q chunks than K chunks.
  auto l = computeWorkspace(plan, Problem{1, 4, 2, 1000, 300});
  REQUIRE(l);
  CHECK(l->kvChunks == 2);
  CHECK(l->qChunks == 4);
  CHECK(regionBytes(*l, "q_partial") == 2 * 4 * 128 * 4);
  CHECK(regionBytes(*l, "qk_balance") == 2 * 128 * 4);
  checkWellFormed(*l);
  AttnParams params{};
  char *base = reinterpret_cast<char *>(uintptr_t(1) << 20);
  fillWorkspace(params, *l, base);
  CHECK(params.q_chunks == 4);
  CHECK(params.q_partial == reinterpret_cast<float *>(base + l->find("q_partial")->offset));
  CHECK(params.qk_balance == reinterpret_cast<float *>(base + l->find("qk_balance")->offset));
  // KVStats's grid covers the larger chunk count.
  params.batch = 1;
  params.heads_kv = 2;
  GridDims g = gridFor(KernelRole::KVStats, plan, params);
  CHECK((g.x == 4 && g.y == 2 && g.z == 1));

  // Off, or 16-bit QK, or no KVStats: nothing to allocate, the kernels see nulls.
  for (int which = 0; which < 3; ++which) {
    KernelPlan q = plan;
    if (which == 0)
      q.variant.balance = false;
    else if (which == 1)
      q.variant.qk = DType::BF16;
    else
      q.kernels.erase(q.kernels.begin());
    auto m = computeWorkspace(q, Problem{1, 4, 2, 1000, 300});
    REQUIRE(m);
    INFO(which);
    CHECK(m->qChunks == 0);
    CHECK(regionBytes(*m, "q_partial") == 0);
    CHECK(regionBytes(*m, "qk_balance") == 0);
    AttnParams pm{};
    fillWorkspace(pm, *m, base);
    CHECK(pm.q_partial == nullptr);
    CHECK(pm.qk_balance == nullptr);
    CHECK(pm.q_chunks == 0);
  }
}

TEST_CASE("workspace rejects invalid shapes", "[workspace]") {
  KernelPlan plan = test::defaultPlan();
  CHECK(!computeWorkspace(plan, Problem{0, 1, 1, 1, 1}));
  CHECK(!computeWorkspace(plan, Problem{1, 1, 1, 0, 1}));
  auto big = computeWorkspace(plan, Problem{1, 1, 1, 2147483647, 1});
  REQUIRE(!big);
  CHECK(big.message().find("overflow") != std::string::npos);
}
