//===- CApiTest.cpp - The C API: errors, compile, packages (no GPU) -------===//
//
// Drives libattngen through attngen.h as a binding would: every failure is a
// nonzero return with a message in attngen_last_error(); a compiled kernel
// reports its plan and workspace; a package written from that plan loads the
// same kernel without another NVRTC compile.
//
//===----------------------------------------------------------------------===//
#include "catch.h"

#include "attngen/attngen.h"

#include "attngen/Codegen/EmitCuda.h"
#include "attngen/Spec/Plan.h"
#include "attngen/Tuning/TuningDb.h"
#include "attngen/runtime/Workspace.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

bool contains(const std::string &s, const std::string &needle) {
  return s.find(needle) != std::string::npos;
}

std::string lastError() { return attngen_last_error(); }

const char *DefaultDsl = "variant default { qk = int8; pv = fp8; head_dim = 128; }\n";

} // namespace

TEST_CASE("C API reports errors through attngen_last_error", "[capi]") {
  CHECK(std::string(attngen_version()).size() > 0);
  attngen_kernel_t k = nullptr;
  CHECK(attngen_compile(nullptr, nullptr, &k) != 0);
  CHECK(contains(lastError(), "must not be null"));

  CHECK(attngen_compile("variant v { head_dm = 128; }", "sm_90a", &k) != 0);
  CHECK(contains(lastError(), "error"));
  CHECK(k == nullptr);

  CHECK(attngen_compile("variant a { } variant b { }", "sm_90a", &k) != 0);
  CHECK(contains(lastError(), "takes one variant"));

  CHECK(attngen_compile(DefaultDsl, "sm_91x", &k) != 0);
  CHECK(contains(lastError(), "unknown target 'sm_91x'"));

  CHECK(attngen_load_package("/nonexistent/attngen-package", &k) != 0);
  CHECK(contains(lastError(), "not a kernel package"));

  attngen_stats_t s;
  CHECK(attngen_stats(&s) == 0);
  CHECK(lastError().empty()); // success clears the message
  attngen_kernel_release(nullptr);
}

#ifdef ATTNGEN_HAS_COMPILER
TEST_CASE("C API compiles DSL text, and a package of its plan loads the same kernel",
          "[capi][nvrtc]") {
  attngen_kernel_t k = nullptr;
  int rc = attngen_compile(DefaultDsl, "sm_90a", &k);
  INFO(lastError());
  REQUIRE(rc == 0);
  REQUIRE(k != nullptr);
  std::string json = attngen_kernel_plan_json(k);
  CHECK(contains(json, "attngen_attention"));

  attngen_problem problem = {1, 2, 2, 100, 300};
  size_t bytes = 0;
  REQUIRE(attngen_workspace_bytes(k, &problem, &bytes) == 0);
  CHECK(bytes > 0);
  CHECK(bytes % 256 == 0);
  attngen_problem bad = {1, 2, 2, 0, 300};
  CHECK(attngen_workspace_bytes(k, &bad, &bytes) != 0);

  // The cost model of the kernel on a shape: the work and the floors.
  attngen_cost cost;
  attngen_problem big = {2, 32, 32, 4096, 4096};
  REQUIRE(attngen_kernel_cost(k, &big, &cost) == 0);
  CHECK(cost.flops == Approx(4.0 * 2 * 32 * 4096.0 * 4096 * 128));
  CHECK(cost.exps == Approx(2.0 * 32 * 4096.0 * 4096));
  CHECK(cost.floor_ms == Approx(std::max({cost.matmul_ms, cost.exp_ms, cost.memory_ms})));
  CHECK(cost.floor_ms > 0);
  const std::string bound = cost.bound;
  CHECK((bound == "matmul" || bound == "exp" || bound == "memory"));
  // Bytes: Q, K, V read and O written once at least; the lower bound below what the
  // tiling moves.
  CHECK(cost.hbm_bytes_compulsory >= 4.0 * 2 * 32 * 4096 * 128 * 2);
  CHECK(cost.io_lower_bound_bytes <= cost.hbm_bytes_attention);
  CHECK(attngen_kernel_cost(k, &bad, &cost) != 0);
  CHECK(attngen_kernel_cost(k, nullptr, &cost) != 0);
  CHECK(contains(lastError(), "must not be null"));

  // Launch arguments are validated before any driver call.
  attngen_tensors t = {};
  CHECK(attngen_launch(k, &problem, &t, nullptr, 0, nullptr) != 0);
  CHECK(contains(lastError(), "tensor q is null"));

  attngen_stats_t before, after;
  REQUIRE(attngen_stats(&before) == 0);
  attngen_kernel_t again = nullptr;
  REQUIRE(attngen_compile(DefaultDsl, "sm_90a", &again) == 0);
  REQUIRE(attngen_stats(&after) == 0);
  CHECK(after.nvrtc_compiles == before.nvrtc_compiles);
  CHECK(after.memory_hits == before.memory_hits + 1);

  // The same plan and source as a package on disk.
  std::string error;
  auto plan = attngen::planFromJson(json, error);
  INFO(error);
  REQUIRE(plan);
  char dirTemplate[] = "/tmp/attngen-package-XXXXXX";
  REQUIRE(::mkdtemp(dirTemplate));
  std::string dir = dirTemplate;
  std::ofstream(dir + "/plan.json") << json;
  std::ofstream(dir + "/kernel.cu") << attngen::emitCuda(*plan);
  attngen_kernel_t pkg = nullptr;
  rc = attngen_load_package(dir.c_str(), &pkg);
  INFO(lastError());
  REQUIRE(rc == 0);
  REQUIRE(attngen_stats(&before) == 0);
  CHECK(before.nvrtc_compiles == after.nvrtc_compiles);
  ::unlink((dir + "/plan.json").c_str());
  ::unlink((dir + "/kernel.cu").c_str());
  ::rmdir(dir.c_str());

  attngen_kernel_release(pkg);
  attngen_kernel_release(again);
  attngen_kernel_release(k);
}

TEST_CASE("C API: a tuning database picks each shape's tiles for launches", "[capi][nvrtc]") {
  using namespace attngen;
  // FP8 at D = 64: the plan's own tiles are 192 rows and three consumer warpgroups.
  const char *dsl = "variant t { qk = fp8; pv = fp8; head_dim = 64; }\n";
  attngen_kernel_t k = nullptr;
  int rc = attngen_compile(dsl, "sm_90a", &k);
  INFO(lastError());
  REQUIRE(rc == 0);
  std::string error;
  auto plan = planFromJson(attngen_kernel_plan_json(k), error);
  INFO(error);
  REQUIRE(plan);
  REQUIRE(plan->tiles.blockM == 192);
  const attngen_problem shortP = {16, 4, 4, 1024, 1024}, longP = {1, 4, 4, 16384, 16384};
  attngen_tiles t = {};
  REQUIRE(attngen_kernel_tiles(k, &shortP, &t) == 0);
  CHECK(t.block_m == 192);
  CHECK(t.warps == 16);

  // The 1k bucket tuned to 128 rows / 12 warps, the 16k bucket to the plan's own tiles.
  char dirTemplate[] = "/tmp/attngen-tuned-XXXXXX";
  REQUIRE(::mkdtemp(dirTemplate));
  const std::string dir = dirTemplate, db = dir + "/tuning.json", bad = dir + "/bad.json";
  const TuneConfig shortCfg{Tiles{128, 128, 12, 3}, plan->kvChunk};
  for (const attngen_problem &p : {shortP, longP}) {
    TuningEntry e;
    e.variant = tuningVariantKey(plan->variant);
    e.arch = "sm_90a";
    e.shape = ShapeHint{p.batch, p.heads_q, p.heads_kv, p.seq_q, p.seq_k};
    e.bucket = shapeBucket(e.shape);
    e.config = p.seq_q == 1024 ? shortCfg : TuneConfig{plan->tiles, plan->kvChunk};
    e.ms = 1;
    e.device = "test";
    e.candidates = {{e.config, 1, "ok"}};
    e.generator = tuningGeneratorVersion();
    REQUIRE(TuningDb::store(db, e, error));
  }
  size_t own = 0, tuned = 0;
  REQUIRE(attngen_workspace_bytes(k, &shortP, &own) == 0);
  REQUIRE(attngen_kernel_set_tuning_db(k, db.c_str()) == 0);
  rc = attngen_kernel_tiles(k, &shortP, &t); // compiles the tuned kernel
  INFO(lastError());
  REQUIRE(rc == 0);
  CHECK(t.block_m == 128);
  CHECK(t.warps == 12);
  CHECK(t.stages == 3);
  REQUIRE(attngen_kernel_tiles(k, &longP, &t) == 0);
  CHECK(t.block_m == 192);
  CHECK(t.warps == 16);
  // The workspace follows the tuned tiles (Q's rows pad to 1024 instead of 1152).
  REQUIRE(attngen_workspace_bytes(k, &shortP, &tuned) == 0);
  const Problem sp{shortP.batch, shortP.heads_q, shortP.heads_kv, shortP.seq_q, shortP.seq_k};
  auto retiled = computeWorkspace(applyConfig(*plan, shortCfg), sp);
  REQUIRE(retiled);
  CHECK(tuned == retiled->totalBytes);
  CHECK(tuned != own);
  // Launch arguments of the tuned kernel are validated like the plan's.
  attngen_tensors none = {};
  CHECK(attngen_launch(k, &shortP, &none, nullptr, 0, nullptr) != 0);
  CHECK(contains(lastError(), "tensor q is null"));

  // A corrupt file is no database: the plan's tiles, no error.
  std::ofstream(bad) << "{ not json";
  REQUIRE(attngen_kernel_set_tuning_db(k, bad.c_str()) == 0);
  REQUIRE(attngen_kernel_tiles(k, &shortP, &t) == 0);
  CHECK(t.block_m == 192);
  // Turned off.
  REQUIRE(attngen_kernel_set_tuning_db(k, db.c_str()) == 0);
  REQUIRE(attngen_kernel_set_tuning_db(k, nullptr) == 0);
  REQUIRE(attngen_kernel_tiles(k, &shortP, &t) == 0);
  CHECK(t.block_m == 192);
  CHECK(attngen_kernel_set_tuning_db(nullptr, db.c_str()) != 0);
  CHECK(attngen_kernel_tiles(k, nullptr, &t) != 0);
  for (const std::string &f : {db, bad, db + ".lock"})
    ::unlink(f.c_str());
  ::rmdir(dir.c_str());
  attngen_kernel_release(k);
}
#else
TEST_CASE("C API without the compiler says to load a package", "[capi]") {
  attngen_kernel_t k = nullptr;
  CHECK(attngen_compile(DefaultDsl, "sm_90a", &k) != 0);
  CHECK(contains(lastError(), "no compiler"));
}
#endif
