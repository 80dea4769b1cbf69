// Launch-argument validation (fires before any driver call), grids, target
// compatibility, and the AttnParams block.
#include "catch.h"

#include "RuntimeTestSupport.h"

#include "attngen/runtime/DeviceMemory.h"
#include "attngen/runtime/Driver.h"
#include "attngen/runtime/Launch.h"

#include <cmath>
#include <string>

using namespace attngen;

namespace {

// Fake device addresses: validation never dereferences them.
void *fakePtr(uintptr_t a) { return reinterpret_cast<void *>(a); }

struct Call {
  KernelPlan plan = test::defaultPlan();
  Problem problem{2, 8, 8, 300, 1000};
  Tensors t;
  void *workspace = fakePtr(0x900000);
  size_t workspaceBytes = 0;

  Call() {
    t.q = fakePtr(0x100000);
    t.k = fakePtr(0x200000);
    t.v = fakePtr(0x300000);
    t.o = fakePtr(0x400000);
    denseStrides(t.q_stride, false, 8, 300, 128);
    denseStrides(t.k_stride, false, 8, 1000, 128);
    denseStrides(t.v_stride, true, 8, 1000, 128);
    denseStrides(t.o_stride, true, 8, 300, 128);
    workspaceBytes = computeWorkspace(plan, problem)->totalBytes;
  }
  Status check() const { return validateLaunch(plan, problem, t, workspace, workspaceBytes); }
};

bool failsWith(const Status &s, const std::string &needle) {
  INFO("message: " << s.message());
  return !s && s.message().find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("a well-formed launch validates", "[launch]") {
  Call c;
  Status s = c.check();
  INFO(s.message());
  CHECK(s);
}

TEST_CASE("launch validation reports each bad argument", "[launch]") {
  Call c;
  SECTION("null pointers") {
    c.t.q = nullptr;
    CHECK(failsWith(c.check(), "tensor q is null"));
  }
  SECTION("null output") {
    c.t.o = nullptr;
    CHECK(failsWith(c.check(), "tensor o is null"));
  }
  SECTION("misaligned pointer") {
    c.t.k = fakePtr(0x200008);
    CHECK(failsWith(c.check(), "tensor k at"));
  }
  SECTION("stride not a multiple of 16 bytes") {
    c.t.v_stride[2] = 136; // 272 bytes: fine
    CHECK(c.check());
    c.t.v_stride[2] = 129; // 258 bytes
    CHECK(failsWith(c.check(), "tensor v: token stride 129"));
  }
  SECTION("negative stride") {
    c.t.q_stride[0] = -8;
    CHECK(failsWith(c.check(), "negative"));
  }
  SECTION("token stride below the head dim") {
    c.t.q_stride[2] = 64;
    CHECK(failsWith(c.check(), "smaller than the head dim 128"));
  }
  SECTION("output rows that alias") {
    c.t.o_stride[1] = 0;
    CHECK(failsWith(c.check(), "zero head or batch stride"));
    c.t.o_stride[1] = 128;
    c.t.q_stride[1] = 0; // broadcasting an input is fine
    CHECK(c.check());
    // bnhd output whose token stride is one row: head h token n+1 is head h+1 token n.
    c.t.o_stride[2] = 128;
    CHECK(failsWith(c.check(), "output tensor o: rows overlap"));
    c.t.o_stride[2] = 8 * 128 + 64; // padded tokens: fine
    c.t.o_stride[0] = 300 * c.t.o_stride[2];
    CHECK(c.check());
    c.t.o_stride[0] = 299 * c.t.o_stride[2]; // batch b+1 starts inside batch b
    CHECK(failsWith(c.check(), "rows overlap"));
  }
  SECTION("sequence lengths") {
    c.problem.seq_q = 0;
    CHECK(failsWith(c.check(), "sequence lengths must be at least 1"));
    c.problem.seq_q = 300;
    c.problem.seq_k = -5;
    CHECK(failsWith(c.check(), "sequence lengths must be at least 1"));
  }
  SECTION("gqa") {
    c.problem.heads_kv = 4;
    CHECK(failsWith(c.check(), "heads_q (8) must equal heads_kv (4) * gqa (1)"));
    c.plan.variant.gqa = 2;
    c.workspaceBytes = computeWorkspace(c.plan, c.problem)->totalBytes;
    CHECK(c.check());
  }
  SECTION("grid limits") {
    c.problem.batch = 70000;
    CHECK(failsWith(c.check(), "grid limit"));
  }
  SECTION("head dim of the plan") {
    c.plan.variant.head_dim = 100;
    CHECK(failsWith(c.check(), "head dim 100"));
  }
  SECTION("lse required by the variant") {
    c.plan.variant.lse = true;
    CHECK(failsWith(c.check(), "lse is null"));
    c.t.lse = static_cast<float *>(fakePtr(0x500000));
    CHECK(c.check());
    c.t.lse = static_cast<float *>(fakePtr(0x500002));
    CHECK(failsWith(c.check(), "lse is not 4-byte aligned"));
  }
  SECTION("workspace") {
    c.workspaceBytes -= 1;
    CHECK(failsWith(c.check(), "the workspace has"));
    c.workspaceBytes += 1;
    c.workspace = nullptr;
    CHECK(failsWith(c.check(), "the workspace is null"));
    c.workspace = fakePtr(0x900080);
    CHECK(failsWith(c.check(), "256-byte aligned"));
  }
  SECTION("a plan without attention") {
    c.plan.kernels.pop_back();
    CHECK(failsWith(c.check(), "no attention kernel"));
  }
}

TEST_CASE("AttnParams and grids of a launch", "[launch]") {
  Call c;
  c.plan.variant.gqa = 2;
  c.problem.heads_kv = 4;
  c.workspaceBytes = computeWorkspace(c.plan, c.problem)->totalBytes;
  auto p = buildParams(c.plan, c.problem, c.t, c.workspace, c.workspaceBytes);
  REQUIRE(p);
  CHECK(p->q == c.t.q);
  CHECK(p->o_stride[2] == 8 * 128); // bnhd output
  CHECK(p->heads_kv == 4);
  CHECK(p->lse == nullptr);
  CHECK(p->sm_scale == Approx(1 / std::sqrt(128.0)));
  CHECK(p->sm_scale_log2 == Approx(1 / std::sqrt(128.0) * 1.4426950408889634));

  GridDims stats = gridFor(KernelRole::KVStats, c.plan, *p);
  CHECK((stats.x == 1 && stats.y == 4 && stats.z == 2));
  GridDims quantKV = gridFor(KernelRole::QuantKV, c.plan, *p);
  CHECK((quantKV.x == 8 && quantKV.y == 4 && quantKV.z == 2)); // 1024 / 128
  // The wgmma kernel is persistent: a 1-D grid over 3 x 8 x 2 tiles, at most
  // the resident CTAs; the mma.sync kernel has one CTA per tile.
  REQUIRE(c.plan.mainloop == Mainloop::Wgmma);
  GridDims attn = gridFor(KernelRole::Attention, c.plan, *p);
  CHECK((attn.x == 48 && attn.y == 1 && attn.z == 1)); // 384 / 128 x 8 x 2
  attn = gridFor(KernelRole::Attention, c.plan, *p, 132);
  CHECK((attn.x == 48 && attn.y == 1 && attn.z == 1));
  attn = gridFor(KernelRole::Attention, c.plan, *p, 20);
  CHECK((attn.x == 20 && attn.y == 1 && attn.z == 1));
  c.plan.mainloop = Mainloop::MmaSync;
  attn = gridFor(KernelRole::Attention, c.plan, *p, 20);
  CHECK((attn.x == 3 && attn.y == 8 && attn.z == 2));

  // The wgmma kernel's int tile index: more than 2^30 tiles are refused.
  c.plan.mainloop = Mainloop::Wgmma;
  c.problem = Problem{4096, 8192, 4096, 4096, 1000}; // 32 x 8192 x 4096 = 2^30 tiles
  CHECK_FALSE(failsWith(c.check(), "tiles"));
  c.problem.seq_q = 4097; // 33 query blocks
  CHECK(failsWith(c.check(), "exceed 2^30"));

  c.problem.seq_q = 0;
  auto bad = buildParams(c.plan, c.problem, c.t, c.workspace, c.workspaceBytes);
  CHECK(!bad);
}

TEST_CASE("a cubin runs only on a device of its target", "[launch][driver]") {
  Target sm90a{90, true}, sm80{80, false}, sm89{89, false};
  CHECK(checkTargetRunsOn(sm90a, 90));
  Status s = checkTargetRunsOn(sm90a, 80);
  CHECK(!s);
  CHECK(s.message().find("sm_90a") != std::string::npos);
  CHECK(!checkTargetRunsOn(sm90a, 100));
  CHECK(checkTargetRunsOn(sm80, 80));
  CHECK(checkTargetRunsOn(sm80, 86));
  CHECK(checkTargetRunsOn(sm80, 89));
  CHECK(!checkTargetRunsOn(sm80, 90));
  CHECK(!checkTargetRunsOn(sm89, 86));
  CHECK(targetForSm(90) == sm90a);
  CHECK(targetForSm(89) == sm89);
  CHECK(targetForSm(80) == sm80);
}

TEST_CASE("timing with no runs is an error, not a read of an empty list", "[launch]") {
  int calls = 0;
  auto ms = medianMs([&] { ++calls; return Status::ok(); }, 0, 0);
  REQUIRE(!ms);
  CHECK(ms.message().find("at least one run") != std::string::npos);
  CHECK(calls == 0);
}
