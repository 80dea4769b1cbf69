// The cost model: the visible part of a causal score matrix for any Nq, Nk
// (against a count, row by row) and which kernels move which bytes.
#include "catch.h"

#include "RuntimeTestSupport.h"

#include "attngen/Analysis/CostModel.h"

#include <algorithm>

using namespace attngen;

namespace {

/// Visible scores of a bottom-right aligned causal mask, counted row by row.
double countVisible(long long nq, long long nk) {
  double seen = 0;
  for (long long i = 0; i < nq; ++i)
    seen += double(std::min(nk, std::max(0LL, i + nk - nq + 1)));
  return seen;
}

} // namespace

TEST_CASE("causal FLOPs count the visible scores for any Nq and Nk", "[cost]") {
  KernelPlan plan = test::defaultPlan();
  plan.variant.mask = MaskKind::Causal;
  const long long lens[][2] = {{1, 1},   {7, 7},     {5, 3},   {3, 5},     {1, 100},
                               {100, 1}, {128, 300}, {300, 128}, {4096, 4096}};
  for (const auto &l : lens) {
    ProblemShape s{2, 4, 4, l[0], l[1]};
    CostReport r = analyzeCost(plan, s);
    const double want = 4.0 * 2 * 4 * countVisible(l[0], l[1]) * plan.variant.head_dim;
    INFO("Nq " << l[0] << " Nk " << l[1]);
    CHECK(r.flops == Approx(want));
    CHECK(r.exps == Approx(2 * 4 * countVisible(l[0], l[1])));
  }
}

TEST_CASE("Q bytes go to the kernel that quantizes Q", "[cost]") {
  // defaultPlan is a wgmma plan: the attention kernel reads Q (bf16) and
  // quantizes it itself; no prologue touches Q.
  KernelPlan fused = test::defaultPlan();
  KernelPlan split = fused;
  split.kernels.insert(split.kernels.end() - 1, {KernelRole::QuantQ, "attngen_quant_q", 256, 0});
  ProblemShape s{1, 8, 8, 1000, 1000};
  const double d = fused.variant.head_dim, heads = 8, nqPad = 1024;
  const double qIn = heads * 1000 * d * 2, qImage = heads * nqPad * d * 1, qScales = heads * nqPad * 4;
  CostReport a = analyzeCost(fused, s), b = analyzeCost(split, s);
  CHECK(b.bytesPrologue - a.bytesPrologue == Approx(qIn + qImage + qScales));
  CHECK(a.bytesAttention - b.bytesAttention == Approx(qIn - qImage));
  CHECK(a.bytesCompulsory == b.bytesCompulsory);
}

TEST_CASE("the end-to-end floor adds the prologue passes to the kernel's", "[cost]") {
  // Issue 3's N = 1k shape (B = 16, H = 32, D = 128): K and V cross HBM four
  // times before the kernel starts (KVStats reads them, QuantKV reads them and
  // writes their images), which no tiling of the attention kernel can hide.
  KernelPlan plan = test::defaultPlan();
  DeviceCeilings dev;
  ProblemShape s{16, 32, 32, 1024, 1024};
  CostReport r = analyzeCost(plan, s, dev);
  CHECK(r.tPrologue == Approx(r.bytesPrologue / (dev.hbmTBps * 1e12)));
  CHECK(r.tEndToEnd == Approx(r.tPrologue + r.tFloor));
  CHECK(r.tEndToEnd > r.tFloor);
  // Without KVStats the prologue moves K and V once fewer.
  KernelPlan noStats = plan;
  noStats.kernels.erase(std::remove_if(noStats.kernels.begin(), noStats.kernels.end(),
                                       [](const KernelDesc &k) {
                                         return k.role == KernelRole::KVStats;
                                       }),
                        noStats.kernels.end());
  const double kvIn = 16.0 * 32 * 1024 * plan.variant.head_dim * 2;
  CHECK(r.bytesPrologue - analyzeCost(noStats, s, dev).bytesPrologue == Approx(2 * kvIn));
}
