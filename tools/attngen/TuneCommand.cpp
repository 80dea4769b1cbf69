//===- TuneCommand.cpp - attngen tune: sweep tiles, keep the fastest ------===//
//
// For each shape: the candidates of the tuning space (pruned by the budgets
// and the model), each emitted from the base plan (a DSL file's, or a
// package's on a machine without MLIR), JIT-compiled, checked against the
// CPU reference, timed; the fastest correct one, re-verified, is stored in
// the tuning database. --dry-run shows the candidates without a GPU;
// --precompile fills the kernel disk cache with them (NVRTC, no GPU).
//
//===----------------------------------------------------------------------===//
#include "Cli.h"

#include "attngen/Codegen/EmitCuda.h"
#include "attngen/runtime/Check.h"
#include "attngen/runtime/Driver.h"
#include "attngen/runtime/Jit.h"
#include "attngen/runtime/Tune.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace attngen::cli {

namespace {

namespace fs = std::filesystem;

/// The plan every candidate starts from: a package's, or the DSL variant's
/// heuristic plan for the current GPU (sm_90a without one).
Expected<KernelPlan> basePlan(const Args &args) {
  if (args.has("package")) {
    auto json = readFile((fs::path(args.get("package")) / "plan.json").string());
    if (!json)
      return Error{fmt::format("--package {}: {}", args.get("package"), json.message())};
    std::string error;
    std::optional<KernelPlan> plan = planFromJson(*json, error);
    if (!plan)
      return Error{fmt::format("{}/plan.json: {}", args.get("package"), error)};
    return *plan;
  }
  auto vs = loadVariants(args.positional()[0], args.get("variant"), false);
  if (!vs)
    return vs.error();
  auto target = resolveTarget("");
  if (!target)
    return target.error();
  return lowerVariant(vs->front(), *target);
}

struct Row {
  ShapeHint shape;
  std::string bucket;
  CandidateResult result;
  double floorMs = 0;
  double tflops = 0;
  bool chosen = false;
};

std::string csvField(const std::string &s) {
  if (s.find_first_of(",\"\n") == std::string::npos)
    return s;
  std::string out = "\"";
  for (char c : s)
    out += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' ? ' ' : c);
  return out + "\"";
}

/// CSV rows, the sweep's entries as a tuning-database file, and a plot when
/// matplotlib is there (as tools/bench does).
void writeOutputs(const std::string &prefix, const std::vector<Row> &rows,
                  const std::vector<TuningEntry> &entries) {
  std::string csv = "shape,bucket,block_m,block_n,warps,stages,kv_chunk,floor_ms,ms,tflops,"
                    "status,chosen\n";
  for (const Row &r : rows) {
    const TuneConfig &c = r.result.config;
    csv += fmt::format("{},{},{},{},{},{},{},{:.5f},{:.5f},{:.1f},{},{}\n",
                       csvField(toString(r.shape)), r.bucket, c.tiles.blockM, c.tiles.blockN,
                       c.tiles.warps, c.tiles.stages, c.kvChunk, r.floorMs, r.result.ms,
                       r.tflops, csvField(r.result.status), r.chosen ? 1 : 0);
  }
  TuningDb sweep;
  for (const TuningEntry &e : entries)
    sweep.put(e);
  if (!writeFile(prefix + ".csv", csv) || !writeFile(prefix + ".json", sweep.toJson())) {
    fmt::print(stderr, "attngen: warning: cannot write {}.csv / {}.json\n", prefix, prefix);
    return;
  }
  fmt::print("wrote {}.csv, {}.json\n", prefix, prefix);
  const std::string script = prefix + ".plot.py";
  // The CSV and PNG paths come as arguments: nothing is quoted into the script.
  const std::string py = R"PY(import csv, sys
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit(3)
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["status"] == "ok"]
shapes = sorted({r["shape"] for r in rows}, key=lambda s: [int(x) for x in s.split(",")])
if not shapes:
    sys.exit(4)
fig, axes = plt.subplots(len(shapes), 1, figsize=(10, 2.6 * len(shapes)), squeeze=False)
for ax, shape in zip(axes[:, 0], shapes):
    rs = [r for r in rows if r["shape"] == shape]
    labels = ["bn%s s%s kv%s" % (r["block_n"], r["stages"], r["kv_chunk"]) for r in rs]
    ax.bar(range(len(rs)), [float(r["tflops"]) for r in rs],
           color=["tab:red" if r["chosen"] == "1" else "tab:blue" for r in rs])
    ax.set_xticks(range(len(rs)))
    ax.set_xticklabels(labels, rotation=60, fontsize=7)
    ax.set_ylabel("TFLOPS")
    ax.set_title("shape B,Hq,Hkv,Nq,Nk = " + shape + " (red: chosen)", fontsize=9)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
)PY";
  if (!writeFile(script, py))
    return;
  const int rc = std::system(fmt::format("python3 '{}' '{}.csv' '{}.png' 2>/dev/null", script,
                                         prefix, prefix)
                                 .c_str());
  if (rc == 0)
    fmt::print("wrote {}.png\n", prefix);
  else
    fmt::print("no plot ({} needs python3 with matplotlib)\n", script);
}

void printCandidates(const std::vector<Candidate> &cands) {
  fmt::print("| config | model floor ms | pruned |\n|---|---|---|\n");
  for (const Candidate &c : cands)
    fmt::print("| {} | {:.4f} | {} |\n", toString(c.config), c.floorMs,
               c.pruned ? c.reason : "no");
}

} // namespace

Expected<std::shared_ptr<Kernel>> withTunedTiles(std::shared_ptr<Kernel> kernel,
                                                 const std::string &dbPath,
                                                 const ShapeArg &shape) {
  if (dbPath.empty())
    return kernel;
  // The runtime's per-launch choice (runtime/include/attngen/runtime/Tune.h),
  // with what it decides said on stderr.
  const TunedKernels tuned(kernel, dbPath);
  const Problem problem{shape.batch, shape.headsQ, shape.headsKv, shape.seqQ, shape.seqK};
  const std::optional<TuningEntry> e = tuned.entryFor(problem);
  for (const std::string &w : tuned.warnings())
    fmt::print(stderr, "attngen: warning: {}\n", w);
  if (!e) {
    fmt::print(stderr, "attngen: no tuning entry for {} on {}: the plan's own tiles\n",
               kernel->plan().variant.name, kernel->plan().target.name());
    return kernel;
  }
  fmt::print(stderr, "attngen: tiles from the tuning database: {} (bucket {})\n",
             toString(e->config), e->bucket);
  return tuned.forProblem(problem);
}

int cmdTune(int argc, char **argv) {
  auto args = Args::parse(argc, argv,
                          {"variant", "package", "shapes", "db", "reps", "out", "verify-shape",
                           "seed"},
                          {"force", "dry-run", "precompile"});
  if (!args)
    return usage(args.message());
  if (args->has("package") == !args->positional().empty() || args->positional().size() > 1)
    return usage("tune needs one DSL file or --package DIR (not both)");
  if (args->has("package") && args->has("variant"))
    return usage("--variant applies to a DSL file, not to --package DIR");
  if (!args->has("shapes") || args->get("shapes").empty())
    return usage("tune needs --shapes S;S;... (each B,H,N or B,Hq,Hkv,Nq,Nk)");
  auto reps = args->getInt("reps", 20);
  auto seed = args->getInt("seed", 1);
  if (!reps || !seed)
    return usage(!reps ? reps.message() : seed.message());
  if (*reps < 1)
    return usage(fmt::format("--reps {}: tune times at least one run", *reps));
  if (args->has("dry-run") && args->has("precompile"))
    return usage("--dry-run and --precompile do not go together");

  auto base = basePlan(*args);
  if (!base)
    return fail(base.message());
  const Variant &var = base->variant;
  std::vector<ShapeHint> shapes;
  std::stringstream ss(args->get("shapes"));
  for (std::string item; std::getline(ss, item, ';');) {
    std::string error;
    auto s = parseShapeHint(item, var.gqa, error);
    if (!s)
      return usage(error);
    shapes.push_back(*s);
  }
  if (shapes.empty())
    return usage("--shapes lists no shape");
  std::optional<ShapeHint> verifyShape;
  if (args->has("verify-shape")) {
    std::string error;
    verifyShape = parseShapeHint(args->get("verify-shape"), var.gqa, error);
    if (!verifyShape)
      return usage("--verify-shape: " + error);
  }
  std::string dbPath = args->get("db");
  if (dbPath.empty()) {
    auto d = defaultTuningDbPath();
    if (!d)
      return usage("no tuning database: give --db PATH or set ATTNGEN_TUNING_DB");
    dbPath = *d;
  }

  fmt::print("tuning {} for {} ({} mainloop), database {}\n", var.name, base->target.name(),
             toString(base->mainloop), dbPath);
  if (args->has("dry-run") || args->has("precompile")) {
    Runtime &rt = Runtime::instance();
    TuningDb db = TuningDb::load(dbPath);
    for (const std::string &w : db.warnings())
      fmt::print(stderr, "attngen: warning: {}\n", w);
    std::vector<TuneConfig> compiled;
    for (const ShapeHint &s : shapes) {
      const std::string bucket = shapeBucket(s);
      fmt::print("\nshape {} (bucket {})\n", toString(s), bucket);
      if (const TuningEntry *e = db.find(tuningVariantKey(var), base->target.name(), bucket))
        fmt::print("database: {} at {:.4f} ms on {}\n", toString(e->config), e->ms, e->device);
      std::vector<Candidate> cands = tuningCandidates(*base, s);
      printCandidates(cands);
      if (!args->has("precompile"))
        continue;
      for (const Candidate &c : cands) {
        if (c.pruned || std::find(compiled.begin(), compiled.end(), c.config) != compiled.end())
          continue;
        KernelPlan plan = applyConfig(*base, c.config);
        auto k = rt.load(plan, emitCuda(plan));
        if (!k)
          fmt::print(stderr, "attngen: warning: {} does not compile: {}\n", toString(c.config),
                     k.message());
        else
          fmt::print("compiled {}\n", toString(c.config));
        compiled.push_back(c.config);
      }
    }
    if (args->has("precompile")) {
      auto dir = rt.diskCacheDirectory();
      fmt::print("{} candidates in the disk cache {}\n", compiled.size(), dir ? *dir : "(none)");
    }
    return kOk;
  }

  auto dev = currentDevice();
  if (!dev) {
    fmt::print(stderr, "attngen: tune needs a GPU: {} (--dry-run lists the candidates, "
                       "--precompile compiles them, without one)\n",
               dev.message());
    return kNoGpu;
  }
  if (Status st = checkTargetRunsOn(base->target, dev->sm); !st)
    return fail(st.message());

  TuneOptions opts;
  opts.reps = int(*reps);
  opts.seed = uint64_t(*seed);
  opts.verifyShape = verifyShape;
  opts.progress = [](const std::string &line) { fmt::print("  {}\n", line); };
  std::vector<Row> rows;
  std::vector<TuningEntry> entries;
  int rc = kOk;
  for (const ShapeHint &s : shapes) {
    const std::string bucket = shapeBucket(s);
    fmt::print("\nshape {} (bucket {})\n", toString(s), bucket);
    TuningDb db = TuningDb::load(dbPath);
    for (const std::string &w : db.warnings())
      fmt::print(stderr, "attngen: warning: {}\n", w);
    if (const TuningEntry *e = db.find(tuningVariantKey(var), base->target.name(), bucket)) {
      std::string why;
      if (!isLegalConfig(var, base->target, base->mainloop, e->config, &why)) {
        fmt::print(stderr, "attngen: warning: the entry of {} ({}) is stale ({}): re-tuning\n",
                   bucket, toString(e->config), why);
      } else if (!args->has("force")) {
        fmt::print("  already tuned: {} at {:.4f} ms on {} (--force re-tunes)\n",
                   toString(e->config), e->ms, e->device);
        continue;
      }
    }
    auto out = tuneShape(*base, s, opts);
    if (!out)
      return fail(out.message());
    std::vector<Candidate> &cands = out->candidates;
    const double flops =
        attentionFlops(var, {int(s.batch), int(s.headsQ), int(s.headsKv), int(s.seqQ),
                             int(s.seqK), var.head_dim});
    for (size_t i = 0; i < out->entry.candidates.size(); ++i) {
      const CandidateResult &c = out->entry.candidates[i];
      rows.push_back({s, bucket, c, cands[i].floorMs, c.ms > 0 ? flops / (c.ms * 1e-3) / 1e12 : 0,
                      out->found && c.config == out->entry.config && c.status == "ok"});
    }
    if (!out->found) {
      fmt::print(stderr, "attngen: error: no candidate of shape {} is correct; nothing stored\n",
                 toString(s));
      rc = kFailed;
      continue;
    }
    std::string error;
    std::vector<std::string> warnings;
    if (!TuningDb::store(dbPath, out->entry, error, &warnings))
      return fail(error);
    for (const std::string &w : warnings)
      fmt::print(stderr, "attngen: warning: {}\n", w);
    entries.push_back(out->entry);
    fmt::print("  stored {} -> {}\n", bucket, toString(out->entry.config));
  }

  if (!rows.empty()) {
    fmt::print("\n| shape | config | floor ms | ms | TFLOPS | status |\n|---|---|---|---|---|---|\n");
    for (const Row &r : rows)
      fmt::print("| {} | {}{} | {:.4f} | {:.4f} | {:.1f} | {} |\n", toString(r.shape),
                 toString(r.result.config), r.chosen ? " (chosen)" : "", r.floorMs, r.result.ms,
                 r.tflops, r.result.status);
    writeOutputs(args->get("out", fmt::format("tune-{}-{}", var.name, base->target.name())),
                 rows, entries);
  }
  return rc;
}

} // namespace attngen::cli
