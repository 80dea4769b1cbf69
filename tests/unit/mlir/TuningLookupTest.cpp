// attn-select-tiles reading the tuning database through compileToPlan: a
// valid entry sets the tiles and the KVStats chunk, the shape picks the
// bucket, user tiles win, and a stale / illegal / corrupt entry is a warning
// and the heuristic, never used.
#include "catch.h"

#include "attngen/Codegen/EmitCuda.h"
#include "attngen/Pipeline/Compiler.h"
#include "attngen/Tuning/TuningDb.h"
#include "attngen/kernel/tile_size.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include <unistd.h>

using namespace attngen;

namespace {

struct TempDb {
  std::string dir, path;
  TempDb() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/attngen-tdb-XXXXXX";
    dir = ::mkdtemp(pattern.data()) ? pattern : "";
    path = dir + "/tuning.json";
  }
  ~TempDb() {
    std::remove(path.c_str());
    std::remove((path + ".lock").c_str());
    ::rmdir(dir.c_str());
  }
};

CompileResult compile(const Variant &v, const std::string &db,
                      std::optional<ShapeHint> shape = std::nullopt,
                      std::optional<Tiles> tiles = std::nullopt, Target t = Target{90, true}) {
  CompileOptions o;
  o.target = t;
  o.tuningDb = db;
  o.shape = shape;
  o.tiles = tiles;
  auto r = compileToPlan(v, o);
  if (const auto *e = std::get_if<CompileError>(&r))
    FAIL("unexpected compile error: " << e->message);
  return std::get<CompileResult>(r);
}

TuningEntry entryFor(const KernelPlan &canonical, const ShapeHint &s, const TuneConfig &c) {
  TuningEntry e;
  e.variant = tuningVariantKey(canonical.variant);
  e.arch = canonical.target.name();
  e.bucket = shapeBucket(s);
  e.shape = s;
  e.config = c;
  e.ms = 1.0;
  e.device = "test";
  e.candidates = {{c, 1.0, "ok"}};
  e.generator = tuningGeneratorVersion();
  return e;
}

} // namespace

TEST_CASE("select-tiles takes the tuning database's entry for the variant and bucket",
          "[tuning][mlir]") {
  TempDb db;
  REQUIRE(!db.dir.empty());
  Variant v; // int8 / bf16, D = 128: wgmma on sm_90a
  const CompileResult heuristic = compile(v, "");
  const Tiles h = heuristic.plan.tiles;
  REQUIRE(heuristic.plan.kvChunk == 1024);

  const ShapeHint big{1, 32, 32, 16384, 16384}, small{16, 32, 32, 1024, 1024};
  const TuneConfig bigCfg{Tiles{128, 64, 12, 2}, 2048}, smallCfg{Tiles{128, 128, 12, 4}, 512};
  REQUIRE(!(bigCfg.tiles == h));
  std::string err;
  REQUIRE(TuningDb::store(db.path, entryFor(heuristic.plan, big, bigCfg), err));
  REQUIRE(TuningDb::store(db.path, entryFor(heuristic.plan, small, smallCfg), err));

  CompileResult r = compile(v, db.path, big);
  CHECK(r.plan.tiles == bigCfg.tiles);
  CHECK(r.plan.kvChunk == 2048);
  const KernelDesc *att = r.plan.find(KernelRole::Attention);
  REQUIRE(att);
  CHECK(att->smemBytes == attentionSmemBytes(1, 128, toDtCode(v.qk), toDtCode(v.pv), 128, 64, 2));
  CHECK(r.notes.find("tiles from the tuning database") != std::string::npos);
  CHECK(r.planIR.find("kv_chunk = 2048") != std::string::npos);

  CHECK(compile(v, db.path, small).plan.tiles == smallCfg.tiles);
  CHECK(compile(v, db.path, small).plan.kvChunk == 512);
  // 2048 tokens: one doubling from the small bucket, three from the big one.
  CHECK(compile(v, db.path, ShapeHint{8, 32, 32, 2048, 2048}).plan.tiles == smallCfg.tiles);
  // No shape: the largest tuned bucket.
  CHECK(compile(v, db.path).plan.tiles == bigCfg.tiles);
  // The variant's name is not part of the key.
  Variant renamed = v;
  renamed.name = "renamed";
  CHECK(compile(renamed, db.path, big).plan.tiles == bigCfg.tiles);
  // Another variant, or the same for another target, has no entry.
  Variant causal = v;
  causal.mask = MaskKind::Causal;
  CHECK(compile(causal, db.path, big).plan.tiles == compile(causal, "").plan.tiles);
  CHECK(compile(v, db.path, big, std::nullopt, Target{89, false}).plan.tiles ==
        compile(v, "", big, std::nullopt, Target{89, false}).plan.tiles);
  // Tiles a user gives win over the database.
  const Tiles user{128, 128, 12, 3};
  CHECK(compile(v, db.path, big, user).plan.tiles == user);
  CHECK(compile(v, db.path, big, user).plan.kvChunk == 1024);
  // No database: the heuristic, with no note.
  CHECK(compile(v, "", big).notes.empty());
}

TEST_CASE("select-tiles never uses a stale, illegal or corrupt entry", "[tuning][mlir]") {
  TempDb db;
  REQUIRE(!db.dir.empty());
  Variant v;
  const CompileResult heuristic = compile(v, "");
  const ShapeHint big{1, 32, 32, 16384, 16384};
  std::string err;

  SECTION("another generator version") {
    TuningEntry e = entryFor(heuristic.plan, big, {Tiles{128, 64, 12, 2}, 2048});
    e.generator = "attngen-0.0.1+templates.0000000000000000";
    TuningDb file;
    file.put(e);
    std::ofstream(db.path) << file.toJson();
    CompileResult r = compile(v, db.path, big);
    CHECK(r.plan.tiles == heuristic.plan.tiles);
    CHECK(r.plan.kvChunk == 1024);
    CHECK(r.notes.find("stale") != std::string::npos);
  }
  SECTION("tiles the mainloop does not run") {
    REQUIRE(TuningDb::store(db.path, entryFor(heuristic.plan, big, {Tiles{64, 64, 4, 2}, 1024}),
                            err));
    CompileResult r = compile(v, db.path, big);
    CHECK(r.plan.tiles == heuristic.plan.tiles);
    CHECK(r.notes.find("stale") != std::string::npos);
    CHECK(r.notes.find("block_m 128") != std::string::npos);
  }
  SECTION("a bad checksum") {
    REQUIRE(TuningDb::store(db.path, entryFor(heuristic.plan, big, {Tiles{128, 64, 12, 2}, 2048}),
                            err));
    TuningDb file = TuningDb::load(db.path);
    REQUIRE(file.entries().size() == 1);
    std::string text = file.toJson();
    size_t at = text.find("\"kv_chunk\": 2048");
    REQUIRE(at != std::string::npos);
    text.replace(at, 16, "\"kv_chunk\": 1024");
    std::ofstream(db.path) << text;
    CompileResult r = compile(v, db.path, big);
    CHECK(r.plan.tiles == heuristic.plan.tiles);
    CHECK(r.notes.find("bad checksum") != std::string::npos);
  }
  SECTION("not JSON") {
    std::ofstream(db.path) << "{\"format\": \"attngen-tuning\", ";
    CompileResult r = compile(v, db.path, big);
    CHECK(r.plan.tiles == heuristic.plan.tiles);
    CHECK(r.notes.find("corrupt") != std::string::npos);
  }
}
