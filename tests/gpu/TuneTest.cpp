//===- TuneTest.cpp - attngen tune's sweep on the GPU ---------------------===//
//
// Tunes the default variant on a small shape into a temporary database:
// every legal candidate must compile and pass the reference check (the GPU
// tests are green for every configuration the tuner may store), the stored
// config must be legal, re-verified, and what lookup (and, with the compiler,
// select-tiles) chooses afterwards.
//
//===----------------------------------------------------------------------===//

#include "catch.h"

#include "attngen/Codegen/EmitCuda.h"
#include "attngen/Tuning/TuningDb.h"
#include "attngen/runtime/Check.h"
#include "attngen/runtime/Jit.h"
#include "attngen/runtime/Tune.h"

#ifdef ATTNGEN_HAS_COMPILER
#include "attngen/Pipeline/Compiler.h"
#endif

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <unistd.h>

using namespace attngen;
namespace fs = std::filesystem;

namespace {

/// The default variant's plan: its package when packages are given (the
/// MLIR-free build on the lent GPU), else the JIT's plan.
std::optional<KernelPlan> defaultPlan() {
  if (const char *pk = std::getenv("ATTNGEN_PACKAGES")) {
    std::ifstream f(fs::path(pk) / "default" / "plan.json");
    std::stringstream ss;
    ss << f.rdbuf();
    std::string error;
    std::optional<KernelPlan> plan = planFromJson(ss.str(), error);
    INFO("default package: " << error);
    REQUIRE(plan);
    return plan;
  }
  auto k = Runtime::instance().get(Variant());
  INFO("the tune test needs $ATTNGEN_PACKAGES (with a 'default' package) or the compiler: "
       << (k ? "" : k.message()));
  REQUIRE(k.isOk());
  return (*k)->plan();
}

} // namespace

TEST_CASE("tune stores the fastest correct config, which lookup then chooses", "[gpu][tune]") {
  std::optional<KernelPlan> base = defaultPlan();
  REQUIRE(base);
  char dirName[] = "/tmp/attngen-tune-XXXXXX";
  REQUIRE(::mkdtemp(dirName));
  const std::string path = std::string(dirName) + "/tuning.json";

  const ShapeHint shape{2, 8, 8, 1024, 1024};
  TuneOptions opts;
  opts.reps = 5;
  opts.progress = [](const std::string &line) { std::cout << "  tune: " << line << "\n"; };
  auto out = tuneShape(*base, shape, opts);
  REQUIRE(out.isOk());
  REQUIRE(out->entry.candidates.size() == out->candidates.size());
  int measured = 0;
  for (const CandidateResult &c : out->entry.candidates) {
    INFO(toString(c.config) << ": " << c.status);
    // Every legal config the model kept compiles and is correct.
    CHECK((c.status == "ok" || c.status.rfind("pruned: ", 0) == 0));
    if (c.status == "ok") {
      CHECK(c.ms > 0);
      ++measured;
    }
  }
  CHECK(measured >= 2);
  REQUIRE(out->found);
  const TuningEntry &e = out->entry;
  std::string why;
  CHECK(isLegalConfig(base->variant, base->target, base->mainloop, e.config, &why));
  for (const CandidateResult &c : e.candidates)
    if (c.status == "ok")
      CHECK(e.ms <= c.ms);

  std::string err;
  REQUIRE(TuningDb::store(path, e, err));
  TuningDb db = TuningDb::load(path);
  CHECK(db.warnings().empty());
  std::vector<std::string> warnings;
  const TuningEntry *found =
      db.lookup(base->variant, base->target, base->mainloop, shape, warnings);
  REQUIRE(found);
  CHECK(found->config == e.config);
  CHECK(found->ms == e.ms);

  // The chosen plan, built again from the database, passes on another shape.
  KernelPlan tuned = applyConfig(*base, found->config);
  auto k = Runtime::instance().load(tuned, emitCuda(tuned));
  REQUIRE(k.isOk());
  auto p = makeDeviceProblem(**k, {1, 8, 8, 777, 1500, base->variant.head_dim},
                             InputKind::ActivationLike, 11);
  REQUIRE(p.isOk());
  auto r = checkAgainstReference(**k, **p);
  REQUIRE(r.isOk());
  INFO(r->text);
  CHECK(r->pass);

#ifdef ATTNGEN_HAS_COMPILER
  CompileOptions o;
  o.target = base->target;
  o.tuningDb = path;
  o.shape = shape;
  auto c = compileToPlan(base->variant, o);
  REQUIRE(std::holds_alternative<CompileResult>(c));
  CHECK(std::get<CompileResult>(c).plan.tiles == e.config.tiles);
  CHECK(std::get<CompileResult>(c).plan.kvChunk == e.config.kvChunk);
#endif
  std::remove(path.c_str());
  std::remove((path + ".lock").c_str());
  ::rmdir(dirName);
}
