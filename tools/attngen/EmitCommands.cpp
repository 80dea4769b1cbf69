//===- EmitCommands.cpp - list, emit, compile, compile-packages, cache, explain

#include "Cli.h"

#include "attngen/Analysis/CostModel.h"
#include "attngen/Codegen/EmitCuda.h"
#include "attngen/Frontend/Printer.h"
#include "attngen/runtime/DiskCache.h"
#include "attngen/runtime/Jit.h"
#include "attngen/runtime/Nvrtc.h"
#include "attngen/runtime/Sass.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace attngen::cli {

namespace fs = std::filesystem;


int cmdList(int argc, char **argv) {
  auto args = Args::parse(argc, argv, {}, {});
  if (!args)
    return usage(args.message());
  if (args->positional().empty())
    return usage("list needs one or more DSL files");
  int rc = kOk;
  for (const std::string &file : args->positional()) {
    auto vs = loadVariants(file, "", true);
    if (!vs) {
      fmt::print(stderr, "{}\n", vs.message());
      rc = kFailed;
      continue;
    }
    for (const Variant &v : *vs)
      fmt::print("{}: {:<24} qk={:<5} pv={:<5} d={:<3} mask={:<6} gqa={} in={} out={}{}\n", file,
                 v.name, toString(v.qk), toString(v.pv), v.head_dim, toString(v.mask), v.gqa,
                 toString(v.input), toString(v.output), v.lse ? " lse" : "");
  }
  return rc;
}

/// Compiles a plan's source with NVRTC (no cache): for --ptx / --cubin / --sass.
static Expected<CompiledCuda> nvrtcCompile(const KernelPlan &plan, const std::string &src) {
  NvrtcOptions opts;
  opts.target = plan.target;
  return compileCuda(src, opts, plan.variant.name + ".cu");
}

static std::string sassSummary(const std::map<std::string, KernelSass> &kernels) {
  std::string out;
  for (const auto &[name, k] : kernels) {
    out += fmt::format("{}: registers {}, stack {} B, local {} B, {} instructions\n", name,
                       k.registers, k.stackBytes, k.localBytes,
                       [&] {
                         int n = 0;
                         for (auto &[op, c] : k.opcodeCounts)
                           n += c;
                         return n;
                       }());
    // The instructions that say which path the kernel is on.
    for (const char *op : {"IGMMA", "QGMMA", "HGMMA", "IMMA", "HMMA", "MUFU", "LDSM", "LDGSTS",
                           "UBLKCP", "SYNCS", "LDL", "STL"})
      if (k.count(op))
        out += fmt::format("  {:<7} {}\n", op, k.count(op));
  }
  return out;
}

int cmdEmit(int argc, char **argv) {
  auto args = Args::parse(argc, argv, {"variant", "target", "cubin", "package", "package-dir", "o",
                                      "tuning-db", "shape", "tiles"},
                          {"all", "ir", "plan-ir", "plan", "cuda", "ptx", "sass"});
  if (!args)
    return usage(args.message());
  if (args->positional().size() != 1)
    return usage("emit needs exactly one DSL file");
  auto target = resolveTarget(args->get("target"));
  if (!target)
    return usage(target.message());
  auto tiles = parseTilesArg(args->has("tiles"), args->get("tiles"));
  if (!tiles)
    return usage(tiles.message());
  const bool all = args->has("all") || args->has("package-dir");
  auto vs = loadVariants(args->positional()[0], args->get("variant"), all);
  if (!vs)
    return fail(vs.message());
  if (vs->size() > 1 && !args->has("package-dir"))
    return usage("several variants: emit one (--variant NAME) or packages (--package-dir DIR)");
  if (args->has("package") || args->has("package-dir"))
    for (const char *o : {"ir", "plan-ir", "plan", "cuda", "ptx", "cubin", "sass", "o"})
      if (args->has(o))
        return usage(fmt::format("--{} does not apply to --package / --package-dir (a package "
                                 "is plan.json, kernel.cu and variant.attn)",
                                 std::string(o) == "o" ? "o (-o)" : o));

  std::string out;
  for (const Variant &v : *vs) {
    std::string inputIR, planIR;
    std::optional<ShapeHint> hint;
    if (args->has("shape")) {
      std::string error;
      if (!(hint = parseShapeHint(args->get("shape"), v.gqa, error)))
        return usage(error);
    }
    auto plan =
        lowerVariant(v, *target, &inputIR, &planIR, args->get("tuning-db"), hint, *tiles);
    if (!plan)
      return fail(plan.message());
    const std::string src = emitCuda(*plan);
    if (args->has("package-dir") || args->has("package")) {
      std::string dir = args->has("package") ? args->get("package")
                                             : (fs::path(args->get("package-dir")) / v.name).string();
      if (Status s = writePackage(dir, *plan, src); !s)
        return fail(s.message());
      fmt::print("{}: package {}\n", v.name, dir);
      continue;
    }
    if (args->has("ir"))
      out += inputIR;
    if (args->has("plan-ir"))
      out += planIR;
    if (args->has("plan"))
      out += toJson(*plan) + "\n";
    const bool needCompile = args->has("ptx") || args->has("cubin") || args->has("sass");
    if (args->has("cuda") || (!needCompile && out.empty()))
      out += src;
    if (needCompile) {
      auto compiled = nvrtcCompile(*plan, src);
      if (!compiled)
        return fail(compiled.message());
      if (args->has("ptx"))
        out += compiled->ptx;
      if (args->has("cubin") && !writeFile(args->get("cubin"), compiled->cubin))
        return fail(fmt::format("cannot write '{}'", args->get("cubin")));
      if (args->has("sass")) {
        auto sass = disassembleCubin(compiled->cubin);
        if (!sass)
          return fail(sass.message());
        out += sassSummary(*sass);
      }
    }
  }
  if (args->has("o")) {
    if (!writeFile(args->get("o"), out))
      return fail(fmt::format("cannot write '{}'", args->get("o")));
  } else {
    fmt::print("{}", out);
  }
  return kOk;
}

static double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

int cmdCompile(int argc, char **argv) {
  auto args = Args::parse(argc, argv, {"variant", "target"}, {"all"});
  if (!args)
    return usage(args.message());
  if (args->positional().size() != 1)
    return usage("compile needs exactly one DSL file");
  auto target = resolveTarget(args->get("target"));
  if (!target)
    return usage(target.message());
  auto vs = loadVariants(args->positional()[0], args->get("variant"), args->has("all"));
  if (!vs)
    return fail(vs.message());
  Runtime &rt = Runtime::instance();
  for (const Variant &v : *vs) {
    const RuntimeStats before = rt.stats();
    auto t0 = std::chrono::steady_clock::now();
    auto k = rt.get(v, *target);
    double cold = msSince(t0);
    if (!k)
      return fail(k.message());
    t0 = std::chrono::steady_clock::now();
    auto again = rt.get(v, *target);
    double warm = msSince(t0);
    const RuntimeStats after = rt.stats();
    fmt::print("{} ({}): first get {:.1f} ms ({} NVRTC compile{}, {} disk hit{}), "
               "second get {:.3f} ms (memory)\n  key {}\n",
               v.name, target->name(), cold, after.nvrtcCompiles - before.nvrtcCompiles,
               after.nvrtcCompiles - before.nvrtcCompiles == 1 ? "" : "s",
               after.diskHits - before.diskHits, after.diskHits - before.diskHits == 1 ? "" : "s",
               warm, (*k)->cacheKey());
  }
  const RuntimeStats s = rt.stats();
  fmt::print("stats: nvrtc_compiles={} compile_ms={:.0f} disk_hits={} disk_misses={} "
             "memory_hits={}\n",
             s.nvrtcCompiles, s.compileMs, s.diskHits, s.diskMisses, s.memoryHits);
  return kOk;
}

int cmdCompilePackages(int argc, char **argv) {
  auto args = Args::parse(argc, argv, {"target"}, {});
  if (!args)
    return usage(args.message());
  if (args->positional().size() != 1)
    return usage("compile-packages needs a directory of packages");
  // A package carries its target; --target asserts it (a package for another
  // GPU would fill the cache with kernels the run cannot use).
  std::optional<Target> want;
  if (args->has("target")) {
    auto t = resolveTarget(args->get("target"));
    if (!t)
      return usage(t.message());
    want = *t;
  }
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto &e : fs::directory_iterator(args->positional()[0], ec))
    if (fs::exists(e.path() / "plan.json"))
      dirs.push_back(e.path());
  if (ec)
    return fail(fmt::format("cannot list '{}': {}", args->positional()[0], ec.message()));
  std::sort(dirs.begin(), dirs.end());
  Runtime &rt = Runtime::instance();
  for (const fs::path &d : dirs) {
    if (want) {
      auto json = readFile((d / "plan.json").string());
      if (!json)
        return fail(json.message());
      std::string error;
      std::optional<KernelPlan> plan = planFromJson(*json, error);
      if (!plan)
        return fail(fmt::format("{}/plan.json: {}", d.string(), error));
      if (!(plan->target == *want))
        return fail(fmt::format("{}: the package is for {}, not {}", d.string(),
                                plan->target.name(), want->name()));
    }
    auto t0 = std::chrono::steady_clock::now();
    auto k = rt.loadPackage(d.string());
    if (!k)
      return fail(fmt::format("{}: {}", d.string(), k.message()));
    fmt::print("{:<28} {:7.0f} ms\n", d.filename().string(), msSince(t0));
  }
  const RuntimeStats s = rt.stats();
  fmt::print("stats: nvrtc_compiles={} disk_hits={}\n", s.nvrtcCompiles, s.diskHits);
  return kOk;
}

int cmdCache(int argc, char **argv) {
  auto args = Args::parse(argc, argv, {"dir"}, {});
  if (!args)
    return usage(args.message());
  if (args->positional().size() != 1 ||
      (args->positional()[0] != "ls" && args->positional()[0] != "clear"))
    return usage("cache needs 'ls' or 'clear'");
  std::string dir = args->get("dir");
  if (dir.empty()) {
    auto d = DiskCache::defaultDirectory();
    if (!d)
      return fail(d.message());
    dir = *d;
  }
  DiskCache cache(dir);
  if (args->positional()[0] == "clear") {
    if (Status s = cache.clear(); !s)
      return fail(s.message());
    fmt::print("cleared {}\n", dir);
    return kOk;
  }
  auto entries = cache.list();
  if (!entries)
    return fail(entries.message());
  uint64_t total = 0;
  for (const auto &e : *entries) {
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", std::localtime(&e.mtime));
    fmt::print("{}  {:>9} B  {}\n", e.key, e.bytes, when);
    total += e.bytes;
  }
  fmt::print("{} entries, {} bytes in {}\n", entries->size(), total, dir);
  return kOk;
}

std::string explainPlan(const KernelPlan &plan, const ShapeArg &shape, bool withResources) {
  std::string o;
  const Variant &v = plan.variant;
  o += fmt::format("variant {} on {}: {} mainloop, tiles blockM={} blockN={} warps={} stages={}\n",
                   v.name, plan.target.name(), toString(plan.mainloop), plan.tiles.blockM,
                   plan.tiles.blockN, plan.tiles.warps, plan.tiles.stages);
  o += "kernels (launch order):\n";
  for (const KernelDesc &k : plan.kernels)
    o += fmt::format("  {:<10} {:<20} {:>4} threads  {:>6} B dynamic shared memory\n",
                     toString(k.role), k.symbol, k.threads, k.smemBytes);
  if (withResources) {
    // Through the runtime's caches: a later JIT of the same plan is a hit.
    auto compiled = Runtime::instance().load(plan, emitCuda(plan));
    if (!compiled) {
      o += "resources: compile failed:\n" + compiled.message() + "\n";
    } else if (auto sass = disassembleCubin((*compiled)->cubin())) {
      o += "resources (ptxas, from the cubin):\n";
      for (const auto &[name, k] : *sass)
        o += fmt::format("  {:<20} {:>3} registers, {} B stack, {} B local{}\n", name, k.registers,
                         k.stackBytes, k.localBytes,
                         k.count("LDL") + k.count("STL") ? "  (SPILLS)" : "");
    } else {
      o += "resources: " + sass.message() + "\n";
    }
  }
  ProblemShape ps{shape.batch, shape.headsQ, shape.headsKv, shape.seqQ, shape.seqK};
  CostReport r = analyzeCost(plan, ps);
  o += fmt::format("cost of shape B={} Hq={} Hkv={} Nq={} Nk={} D={} (H200 ceilings):\n",
                   shape.batch, shape.headsQ, shape.headsKv, shape.seqQ, shape.seqK, v.head_dim);
  o += formatCost(r);
  return o;
}

int cmdExplain(int argc, char **argv) {
  auto args = Args::parse(argc, argv, {"variant", "target", "shape", "tuning-db", "tiles"},
                          {"no-resources"});
  if (!args)
    return usage(args.message());
  if (args->positional().size() != 1)
    return usage("explain needs exactly one DSL file");
  auto target = resolveTarget(args->get("target"));
  if (!target)
    return usage(target.message());
  auto vs = loadVariants(args->positional()[0], args->get("variant"), false);
  if (!vs)
    return fail(vs.message());
  const Variant &v = vs->front();
  auto shape = parseShape(args->get("shape", "1,32,16384"), v.gqa);
  if (!shape)
    return usage(shape.message());
  auto tiles = parseTilesArg(args->has("tiles"), args->get("tiles"));
  if (!tiles)
    return usage(tiles.message());
  auto plan = lowerVariant(v, *target, nullptr, nullptr, args->get("tuning-db"),
                           ShapeHint{shape->batch, shape->headsQ, shape->headsKv, shape->seqQ,
                                     shape->seqK},
                           *tiles);
  if (!plan)
    return fail(plan.message());
  fmt::print("{}", explainPlan(*plan, *shape, !args->has("no-resources")));
  return kOk;
}

} // namespace attngen::cli
