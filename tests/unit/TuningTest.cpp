// The tuning space (legal configs per mainloop and arch, pruning) and the
// tuning database (round trip, corrupt / stale entries, lookup, concurrent
// writers).
#include "catch.h"

#include "RuntimeTestSupport.h"

#include "attngen/Codegen/EmitCuda.h"
#include "attngen/Tuning/TuningDb.h"
#include "attngen/kernel/tile_size.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

using namespace attngen;

namespace {

bool contains(const std::vector<TuneConfig> &list, const TuneConfig &c) {
  return std::find(list.begin(), list.end(), c) != list.end();
}

int smemOf(const Variant &v, Mainloop m, const Tiles &t) {
  return attentionSmemBytes(m == Mainloop::Wgmma ? 1 : 0, v.head_dim, toDtCode(v.qk),
                            toDtCode(v.pv), t.blockM, t.blockN, t.stages);
}

TuningEntry sampleEntry(const std::string &bucketShape, int blockN, double ms) {
  std::string err;
  TuningEntry e;
  e.variant = tuningVariantKey(test::defaultPlan().variant);
  e.arch = "sm_90a";
  e.shape = *parseShapeHint(bucketShape, 1, err);
  e.bucket = shapeBucket(e.shape);
  e.config = TuneConfig{Tiles{128, blockN, 12, 3}, 2048};
  e.ms = ms;
  e.device = "NVIDIA H200";
  e.candidates = {{e.config, ms, "ok"},
                  {TuneConfig{Tiles{128, 192 - blockN, 12, 2}, 1024}, ms * 1.25, "ok"},
                  {TuneConfig{Tiles{128, 64, 12, 4}, 512}, 0, "incorrect: \"rel L1\"\n"}};
  e.generator = tuningGeneratorVersion();
  return e;
}

std::string readAll(const std::string &path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("wgmma configs: block_m 128 / 12 warps or 192 / 16, block_n 64/128, stages within "
          "227 KB",
          "[tuning]") {
  Variant v = test::defaultPlan().variant;
  const Target sm90a{90, true};
  std::vector<TuneConfig> all = legalConfigs(v, sm90a, Mainloop::Wgmma, true);
  REQUIRE(!all.empty());
  CHECK(all.front() == heuristicConfig(v, Mainloop::Wgmma));
  for (const TuneConfig &c : all) {
    INFO(toString(c));
    CHECK(((c.tiles.blockM == 128 && c.tiles.warps == 12) ||
           (c.tiles.blockM == 192 && c.tiles.warps == 16)));
    CHECK((c.tiles.blockN == 64 || c.tiles.blockN == 128));
    CHECK(smemOf(v, Mainloop::Wgmma, c.tiles) <= kSm90MaxSmemBytes);
  }
  // 8-bit QK / fp8 PV at D = 128: two or three consumers, every stage count fits,
  // three chunks each.
  CHECK(all.size() == 2 * 2 * 3 * 3);
  CHECK(contains(all, TuneConfig{Tiles{128, 128, 12, 4}, 512}));
  CHECK(contains(all, TuneConfig{Tiles{192, 128, 16, 4}, 512}));
  // Without KVStats the chunk is not a tuning dimension.
  std::vector<TuneConfig> noStats = legalConfigs(v, sm90a, Mainloop::Wgmma, false);
  CHECK(noStats.size() == 2 * 2 * 3);
  for (const TuneConfig &c : noStats)
    CHECK(c.kvChunk == 1024);

  // 16-bit Q/K/V: 4 stages of 128-token blocks overflow shared memory.
  v.qk = v.pv = DType::F16;
  std::vector<TuneConfig> f16 = legalConfigs(v, sm90a, Mainloop::Wgmma, false);
  CHECK_FALSE(contains(f16, TuneConfig{Tiles{128, 128, 12, 4}, 1024}));
  CHECK(smemOf(v, Mainloop::Wgmma, Tiles{128, 128, 12, 4}) > kSm90MaxSmemBytes);
  CHECK(contains(f16, TuneConfig{Tiles{128, 64, 12, 4}, 1024}));
}

TEST_CASE("mma.sync configs: 16 rows per warp, K scales in the slack, the arch's shared memory",
          "[tuning]") {
  Variant v;
  v.qk = DType::I4;
  v.pv = DType::E4M3;
  const Target sm89{89, false};
  std::vector<TuneConfig> all = legalConfigs(v, sm89, Mainloop::MmaSync, true);
  REQUIRE(!all.empty());
  CHECK(all.front() == heuristicConfig(v, Mainloop::MmaSync));
  bool sawEightWarps = false;
  for (const TuneConfig &c : all) {
    INFO(toString(c));
    CHECK(c.tiles.blockM == 16 * c.tiles.warps);
    CHECK(127 + c.tiles.stages * c.tiles.blockN * 4 <= 1024);
    CHECK(smemOf(v, Mainloop::MmaSync, c.tiles) <= maxSmemBytes(sm89));
    sawEightWarps |= c.tiles.warps == 8;
  }
  CHECK(sawEightWarps);
  std::string why;
  CHECK_FALSE(isLegalConfig(v, sm89, Mainloop::MmaSync, {Tiles{64, 128, 4, 2}, 1024}, &why));
  CHECK(why.find("slack") != std::string::npos);
  CHECK_FALSE(isLegalConfig(v, sm89, Mainloop::MmaSync, {Tiles{128, 64, 4, 2}, 1024}, &why));
  CHECK(why.find("16 * warps") != std::string::npos);
  // D = 256 with 16-bit PV: 99 KB on sm_89 admits fewer configs than 163 KB on sm_80.
  v.head_dim = 256;
  v.qk = DType::I8;
  v.pv = DType::F16;
  CHECK(legalConfigs(v, sm89, Mainloop::MmaSync, false).size() <
        legalConfigs(v, Target{80, false}, Mainloop::MmaSync, false).size());
}

TEST_CASE("isLegalConfig names the broken rule", "[tuning]") {
  Variant v = test::defaultPlan().variant;
  std::string why;
  CHECK(isLegalConfig(v, {90, true}, Mainloop::Wgmma, {Tiles{128, 128, 12, 3}, 1024}, &why));
  CHECK_FALSE(isLegalConfig(v, {90, true}, Mainloop::Wgmma, {Tiles{64, 128, 12, 3}, 1024}, &why));
  CHECK(why.find("block_m 128") != std::string::npos);
  CHECK_FALSE(isLegalConfig(v, {89, false}, Mainloop::Wgmma, {Tiles{128, 128, 12, 3}, 1024}, &why));
  CHECK(why.find("no wgmma") != std::string::npos);
  CHECK_FALSE(isLegalConfig(v, {90, true}, Mainloop::Wgmma, {Tiles{128, 128, 12, 3}, 1000}, &why));
  CHECK(why.find("kv_chunk") != std::string::npos);
  // Three consumer warpgroups: block_m 192 with 16 warps, where they fit (8-bit QK, FP8
  // PV, D = 64 or 128).
  CHECK(isLegalConfig(v, {90, true}, Mainloop::Wgmma, {Tiles{192, 128, 16, 3}, 1024}, &why));
  v.qk = v.pv = DType::BF16;
  CHECK_FALSE(isLegalConfig(v, {90, true}, Mainloop::Wgmma, {Tiles{192, 128, 16, 2}, 1024}, &why));
  CHECK(why.find("three consumer warpgroups") != std::string::npos);
  v = test::defaultPlan().variant;
  CHECK_FALSE(isLegalConfig(v, {90, true}, Mainloop::Wgmma, {Tiles{128, 128, 16, 3}, 1024}, &why));
  CHECK(why.find("192 with 16") != std::string::npos);
  v.head_dim = 64;
  CHECK(isLegalConfig(v, {90, true}, Mainloop::Wgmma, {Tiles{192, 128, 16, 3}, 1024}, &why));
  v.pv = DType::I8; // INT8 PV takes turns (pingpong), written for two
  CHECK_FALSE(isLegalConfig(v, {90, true}, Mainloop::Wgmma, {Tiles{192, 128, 16, 3}, 1024}, &why));
}

TEST_CASE("wgmma configs at D = 64 include three consumer warpgroups within 160 registers",
          "[tuning]") {
  Variant v = test::defaultPlan().variant;
  v.head_dim = 64;
  const Target sm90a{90, true};
  std::vector<TuneConfig> all = legalConfigs(v, sm90a, Mainloop::Wgmma, false);
  int three = 0;
  for (const TuneConfig &c : all) {
    INFO(toString(c));
    CHECK(c.tiles.blockM == 64 * sm90ConsumerWarpgroups(c.tiles.warps));
    three += c.tiles.warps == 16;
  }
  CHECK(three == 2 * 3); // block_n 64 / 128, stages 2..4
  CHECK(all.size() == 2 * 2 * 3);
  KernelPlan base = test::defaultPlan();
  base.variant = v;
  for (const Candidate &c : tuningCandidates(base, std::nullopt))
    CHECK_FALSE(c.pruned); // S + 2 O = 64 + 64 <= 160 - 32 at block_n 128
  base.variant.head_dim = 128; // three consumers split the P V: S + O = 128 registers
  int threeAt128 = 0;
  for (const Candidate &c : tuningCandidates(base, std::nullopt)) {
    INFO(toString(c.config) << " " << c.reason);
    if (c.config.tiles.warps != 16)
      continue;
    ++threeAt128;
    CHECK_FALSE(c.pruned); // max(S + O, O + half + P) <= 160 - 32
  }
  CHECK(threeAt128 > 0);
}

TEST_CASE("applyConfig retiles the attention kernel only", "[tuning]") {
  KernelPlan base = test::defaultPlan();
  TuneConfig c{Tiles{128, 64, 12, 4}, 512};
  KernelPlan p = applyConfig(base, c);
  CHECK(p.tiles == c.tiles);
  CHECK(p.kvChunk == 512);
  const KernelDesc *att = p.find(KernelRole::Attention);
  REQUIRE(att);
  CHECK(att->threads == 384);
  CHECK(att->smemBytes == smemOf(p.variant, Mainloop::Wgmma, c.tiles));
  CHECK(att->smemBytes != base.find(KernelRole::Attention)->smemBytes);
  CHECK(p.find(KernelRole::QuantKV)->smemBytes == 0);
  CHECK(p.find(KernelRole::QuantKV)->threads == 256);
}

TEST_CASE("the model prunes candidates whose padded floor cannot win", "[tuning]") {
  KernelPlan base = test::defaultPlan();
  base.target = Target{80, false};
  base.mainloop = Mainloop::MmaSync;
  base.variant.pv = DType::F16;
  base.tiles = Tiles{64, 64, 4, 2};
  // Without a shape only the hard budgets apply.
  for (const Candidate &c : tuningCandidates(base, std::nullopt)) {
    CHECK(c.floorMs == 0);
    CHECK_FALSE(c.pruned);
  }
  // Compute-bound ceilings (no memory floor): N = 192 pads to 256 with
  // block_m 128 (4/3 the work) and not at all with block_m 64.
  DeviceCeilings dev;
  dev.hbmTBps = 1e9;
  ShapeHint s{1, 8, 8, 192, 192};
  std::vector<Candidate> cands = tuningCandidates(base, s, dev);
  int pruned = 0, kept = 0;
  for (const Candidate &c : cands) {
    INFO(toString(c.config) << " " << c.reason);
    CHECK(c.floorMs > 0);
    if (c.reason.rfind("same KVStats grid", 0) == 0)
      continue; // N = 192: every chunk size is one chunk
    CHECK(c.pruned == (c.config.tiles.blockM == 128));
    if (c.pruned) {
      CHECK(c.reason.rfind("model:", 0) == 0);
      ++pruned;
    } else {
      ++kept;
    }
  }
  CHECK(pruned > 0);
  CHECK(kept > 0);
  // The default memory ceiling makes N = 192 memory-bound: tiles cannot matter.
  for (const Candidate &c : tuningCandidates(base, s))
    CHECK((!c.pruned || c.reason.rfind("same KVStats grid", 0) == 0));
}

TEST_CASE("a KVStats chunk equivalent on the shape is pruned", "[tuning]") {
  KernelPlan base = test::defaultPlan();
  auto kept = [&](long long n) {
    std::vector<int> chunks;
    for (const Candidate &c : tuningCandidates(base, ShapeHint{1, 8, 8, n, n}))
      if (!c.pruned && c.config.tiles == heuristicConfig(base.variant, base.mainloop).tiles)
        chunks.push_back(c.config.kvChunk);
      else if (c.pruned)
        CHECK(c.reason.find("same KVStats grid as") == 0);
    std::sort(chunks.begin(), chunks.end());
    return chunks;
  };
  CHECK(kept(500) == std::vector<int>{1024});             // one chunk whatever its size
  CHECK(kept(1000) == std::vector<int>{512, 1024});       // 2 chunks or 1
  CHECK(kept(16384) == std::vector<int>{512, 1024, 2048}); // 32, 16, 8 chunks
  // Without KVStats there is one chunk size to begin with.
  base.kernels.erase(base.kernels.begin());
  CHECK(tuningCandidates(base, ShapeHint{1, 8, 8, 500, 500}).size() == 2 * 2 * 3);
}

TEST_CASE("shape hints and buckets", "[tuning]") {
  std::string err;
  auto s = parseShapeHint("2,32,3000", 4, err);
  REQUIRE(s);
  CHECK(s->headsKv == 8);
  CHECK(shapeBucket(*s) == "nq4096.nk4096");
  CHECK(shapeBucket(*parseShapeHint("1,8,2,4096,1", 4, err)) == "nq4096.nk64");
  CHECK(shapeBucket(*parseShapeHint("1,8,4097", 1, err)) == "nq8192.nk8192");
  CHECK_FALSE(parseShapeHint("1,8", 1, err));
  CHECK(err.find("B,H,N") != std::string::npos);
  CHECK_FALSE(parseShapeHint("1,8,x", 1, err));
  CHECK_FALSE(parseShapeHint("1,6,128", 4, err));
  CHECK_FALSE(parseShapeHint("1,8,3,128,128", 2, err));
}

TEST_CASE("the variant key ignores the name and nothing else", "[tuning]") {
  Variant a = test::defaultPlan().variant, b = a;
  b.name = "other";
  CHECK(tuningVariantKey(a) == tuningVariantKey(b));
  CHECK(tuningVariantKey(a).find('\n') == std::string::npos);
  CHECK(tuningVariantKey(a).find("other") == std::string::npos);
  b.mask = MaskKind::Causal;
  CHECK(tuningVariantKey(a) != tuningVariantKey(b));
  b = a;
  b.head_dim = 64;
  CHECK(tuningVariantKey(a) != tuningVariantKey(b));
}

TEST_CASE("tuning database round trip", "[tuning]") {
  TuningDb db;
  db.put(sampleEntry("1,32,16384", 128, 1.5));
  db.put(sampleEntry("16,32,1024", 64, 0.123456789));
  db.put(sampleEntry("1,32,16000", 64, 1.25)); // same bucket as the first: replaces it
  REQUIRE(db.entries().size() == 2);
  const std::string text = db.toJson();
  TuningDb back = TuningDb::parse(text, tuningGeneratorVersion(), "db");
  CHECK(back.warnings().empty());
  REQUIRE(back.entries().size() == 2);
  CHECK(back.toJson() == text);
  const TuningEntry &e = back.entries()[0];
  CHECK(e.config == TuneConfig{Tiles{128, 64, 12, 3}, 2048});
  CHECK(e.ms == 1.25);
  CHECK(e.shape.seqK == 16000);
  CHECK(e.candidates.size() == 3);
  CHECK(e.candidates[2].status == "incorrect: \"rel L1\"\n");
  CHECK(back.entries()[1].ms == 0.123456789);
  CHECK(e.checksum == entryChecksum(e));
}

TEST_CASE("a corrupt database file is ignored with a warning", "[tuning]") {
  const char *bad[] = {"", "{", "{\"format\": \"attngen-tuning\", \"version\": 1, \"entries\": [}",
                       "[1, 2]", "{\"format\": \"other\", \"version\": 1, \"entries\": []}",
                       "{\"format\": \"attngen-tuning\", \"version\": 99, \"entries\": []}",
                       "{\"format\": \"attngen-tuning\", \"version\": 1, \"entries\": []} x"};
  for (const char *text : bad) {
    INFO(text);
    TuningDb db = TuningDb::parse(text, tuningGeneratorVersion(), "f.json");
    CHECK(db.entries().empty());
    REQUIRE(db.warnings().size() == 1);
    CHECK(db.warnings()[0].find("f.json: ignored (corrupt") == 0);
  }
}

TEST_CASE("a bad checksum, a malformed or a stale entry is dropped, the others kept",
          "[tuning]") {
  TuningDb db;
  db.put(sampleEntry("1,32,16384", 128, 1.5));
  db.put(sampleEntry("16,32,1024", 64, 0.25));
  const std::string text = db.toJson();

  SECTION("bad checksum") {
    std::string edited = text;
    size_t at = edited.find("\"ms\": 1.5");
    REQUIRE(at != std::string::npos);
    edited.replace(at, 9, "\"ms\": 1.4"); // a plausible value, but not what was measured
    TuningDb back = TuningDb::parse(edited, tuningGeneratorVersion(), "db");
    REQUIRE(back.entries().size() == 1);
    CHECK(back.entries()[0].ms == 0.25);
    REQUIRE(back.warnings().size() == 1);
    CHECK(back.warnings()[0].find("bad checksum") != std::string::npos);
    CHECK(back.warnings()[0].find("re-tuned") != std::string::npos);
  }
  SECTION("malformed entry") {
    std::string edited = text;
    size_t at = edited.find("\"stages\": 3");
    REQUIRE(at != std::string::npos);
    edited.replace(at, 11, "\"stages\": \"3\"");
    TuningDb back = TuningDb::parse(edited, tuningGeneratorVersion(), "db");
    CHECK(back.entries().size() == 1);
    REQUIRE(back.warnings().size() == 1);
    CHECK(back.warnings()[0].find("wrong type") != std::string::npos);
  }
  SECTION("stale generator") {
    TuningDb back = TuningDb::parse(text, "attngen-9.9+templates.0000", "db");
    CHECK(back.entries().empty());
    REQUIRE(back.warnings().size() == 2);
    CHECK(back.warnings()[0].find("stale") != std::string::npos);
  }
}

TEST_CASE("lookup: the shape's bucket, else the nearest, else the largest; illegal is stale",
          "[tuning]") {
  KernelPlan plan = test::defaultPlan();
  TuningDb db;
  db.put(sampleEntry("1,32,16384", 128, 1.5));
  db.put(sampleEntry("16,32,1024", 64, 0.25));
  std::vector<std::string> warnings;
  std::string err;
  auto at = [&](const char *shape) {
    return db.lookup(plan.variant, plan.target, plan.mainloop,
                     shape ? parseShapeHint(shape, 1, err) : std::nullopt, warnings);
  };
  REQUIRE(at("2,32,16384"));
  CHECK(at("2,32,16384")->bucket == "nq16384.nk16384");
  CHECK(at("4,32,1000")->bucket == "nq1024.nk1024");
  CHECK(at("4,32,2048")->bucket == "nq1024.nk1024");   // one doubling away
  CHECK(at("4,32,8192")->bucket == "nq16384.nk16384"); // one doubling away
  CHECK(at(nullptr)->bucket == "nq16384.nk16384");     // the largest
  CHECK(warnings.empty());
  // Another arch or variant has no entry.
  CHECK_FALSE(db.lookup(plan.variant, Target{89, false}, Mainloop::MmaSync, std::nullopt, warnings));
  Variant causal = plan.variant;
  causal.mask = MaskKind::Causal;
  CHECK_FALSE(db.lookup(causal, plan.target, plan.mainloop, std::nullopt, warnings));

  // An entry whose tiles the mainloop no longer runs is skipped with a warning.
  TuningEntry illegal = sampleEntry("1,32,16384", 128, 1.0);
  illegal.config.tiles.blockM = 64;
  db.put(illegal);
  const TuningEntry *e = at("1,32,16384");
  REQUIRE(e);
  CHECK(e->bucket == "nq1024.nk1024");
  REQUIRE(!warnings.empty());
  CHECK(warnings.back().find("stale") != std::string::npos);
  CHECK(warnings.back().find("block_m 128") != std::string::npos);
}

TEST_CASE("store writes atomically and merges, a corrupt file is replaced", "[tuning]") {
  const std::string dir = test::makeTempDir("tuning");
  REQUIRE(!dir.empty());
  const std::string path = dir + "/tuning.json";
  std::string err;
  std::vector<std::string> warnings;
  {
    std::ofstream f(path);
    f << "{ garbage";
  }
  REQUIRE(TuningDb::store(path, sampleEntry("1,32,16384", 128, 1.5), err, &warnings));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("corrupt") != std::string::npos);
  REQUIRE(TuningDb::store(path, sampleEntry("16,32,1024", 64, 0.25), err, &warnings));
  TuningDb db = TuningDb::load(path);
  CHECK(db.warnings().empty());
  CHECK(db.entries().size() == 2);
  // No temporary is left behind.
  CHECK(readAll(path + ".tmp." + std::to_string(::getpid())).empty());
  // A missing directory is created; a path under a regular file cannot be.
  REQUIRE(TuningDb::store(dir + "/new/dir/tuning.json", sampleEntry("1,1,64", 64, 1), err));
  CHECK(TuningDb::load(dir + "/new/dir/tuning.json").entries().size() == 1);
  CHECK_FALSE(TuningDb::store(path + "/tuning.json", sampleEntry("1,1,64", 64, 1), err));
  CHECK(!err.empty());
  test::removeTempDir(dir);
}

TEST_CASE("concurrent writers lose no entry", "[tuning]") {
  const std::string dir = test::makeTempDir("tuning-mp");
  REQUIRE(!dir.empty());
  const std::string path = dir + "/tuning.json";
  constexpr int kWriters = 8;
  std::vector<pid_t> children;
  for (int i = 0; i < kWriters; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // Each child stores a few buckets of its own.
      std::string err;
      bool ok = true;
      for (int j = 0; j < 3; ++j)
        ok &= TuningDb::store(
            path, sampleEntry("1,8,8," + std::to_string(64LL << (i * 3 + j)) + ",64", 64, i + j),
            err);
      ::_exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  TuningDb db = TuningDb::load(path);
  CHECK(db.warnings().empty());
  CHECK(db.entries().size() == kWriters * 3);
  test::removeTempDir(dir);
}
