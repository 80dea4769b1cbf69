//===- Common.cpp - Argument parsing, variant loading, packages -----------===//

#include "Cli.h"

#include "attngen/Codegen/EmitCuda.h"
#include "attngen/Frontend/Parser.h"
#include "attngen/Frontend/Printer.h"
#include "attngen/runtime/Driver.h"

#ifdef ATTNGEN_HAS_COMPILER
#include "attngen/Pipeline/Compiler.h"
#include "attngen/Tuning/TuneSpace.h"
#endif

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace attngen::cli {

Expected<Args> Args::parse(int argc, char **argv, const std::vector<std::string> &valued,
                           const std::vector<std::string> &flags) {
  Args a;
  auto known = [](const std::vector<std::string> &list, const std::string &k) {
    return std::find(list.begin(), list.end(), k) != list.end();
  };
  for (int i = 0; i < argc; ++i) {
    std::string s = argv[i];
    if (s.size() > 2 && s.compare(0, 2, "--") == 0) {
      std::string key = s.substr(2), value;
      if (auto eq = key.find('='); eq != std::string::npos) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
        if (!known(valued, key))
          return Error{fmt::format("option --{} takes no value", key)};
      } else if (known(valued, key)) {
        if (i + 1 >= argc)
          return Error{fmt::format("option --{} needs a value", key)};
        value = argv[++i];
      } else if (!known(flags, key)) {
        return Error{fmt::format("unknown option --{}", key)};
      }
      a.opts[key] = value;
    } else if (s == "-o") {
      if (i + 1 >= argc)
        return Error{"option -o needs a value"};
      a.opts["o"] = argv[++i];
    } else {
      a.pos.push_back(s);
    }
  }
  return a;
}

std::string Args::get(const std::string &key, const std::string &fallback) const {
  auto it = opts.find(key);
  return it == opts.end() ? fallback : it->second;
}

Expected<long long> Args::getInt(const std::string &key, long long fallback) const {
  auto it = opts.find(key);
  if (it == opts.end())
    return fallback;
  try {
    size_t used = 0;
    long long v = std::stoll(it->second, &used);
    if (used == it->second.size())
      return v;
  } catch (...) {
  }
  return Error{fmt::format("option --{} expects an integer, got '{}'", key, it->second)};
}

Expected<std::vector<Variant>> loadVariants(const std::string &file, const std::string &name,
                                            bool all) {
  ParseResult r = parseVariantFile(file);
  if (!r.ok())
    return Error{r.errors()};
  if (r.variants.empty())
    return Error{fmt::format("{}: no variant in the file", file)};
  if (all)
    return r.variants;
  if (!name.empty()) {
    for (const Variant &v : r.variants)
      if (v.name == name)
        return std::vector<Variant>{v};
    std::string names;
    for (const Variant &v : r.variants)
      names += (names.empty() ? "" : ", ") + v.name;
    return Error{fmt::format("{}: no variant named '{}' (the file has: {})", file, name, names)};
  }
  if (r.variants.size() > 1)
    return Error{fmt::format("{}: {} variants; pick one with --variant NAME or use --all", file,
                             r.variants.size())};
  return r.variants;
}

Expected<Target> resolveTarget(const std::string &spelled, bool *fromDevice) {
  if (fromDevice)
    *fromDevice = false;
  if (!spelled.empty()) {
    if (auto t = Target::parse(spelled))
      return *t;
    return Error{fmt::format("unknown target '{}' (expected sm_80, sm_86, sm_89, sm_90 or sm_90a)",
                             spelled)};
  }
  if (auto dev = currentDevice()) {
    if (fromDevice)
      *fromDevice = true;
    return targetForSm(dev->sm);
  }
  return Target{90, true}; // no GPU: the design's reference target
}

Expected<KernelPlan> lowerVariant(const Variant &v, const Target &t, std::string *inputIR,
                                  std::string *planIR, const std::string &tuningDb,
                                  const std::optional<ShapeHint> &shape,
                                  const std::optional<Tiles> &tiles) {
#ifdef ATTNGEN_HAS_COMPILER
  CompileOptions opts;
  opts.target = t;
  opts.tiles = tiles;
  opts.tuningDb = tuningDb;
  opts.shape = shape;
  auto r = compileToPlan(v, opts);
  if (auto *err = std::get_if<CompileError>(&r))
    return Error{fmt::format("variant '{}' for {}:\n{}", v.name, t.name(), err->message)};
  auto &res = std::get<CompileResult>(r);
  if (!res.notes.empty())
    fmt::print(stderr, "{}\n", res.notes);
  // Tiles by hand meet the tuner's rules too (the verifier checks the
  // structural ones; these are what the templates static_assert).
  std::string why;
  if (tiles && !isLegalConfig(res.plan.variant, res.plan.target, res.plan.mainloop,
                              TuneConfig{res.plan.tiles, res.plan.kvChunk}, &why))
    return Error{fmt::format("variant '{}' for {}: --tiles {},{},{},{}: {}", v.name, t.name(),
                             tiles->blockM, tiles->blockN, tiles->warps, tiles->stages, why)};
  if (inputIR)
    *inputIR = res.inputIR;
  if (planIR)
    *planIR = res.planIR;
  return res.plan;
#else
  (void)v, (void)t, (void)inputIR, (void)planIR, (void)tuningDb, (void)shape, (void)tiles;
  return Error{"this build of attngen has no compiler (built with ATTNGEN_ENABLE_MLIR=OFF): "
               "emit a kernel package with a full build and use --package DIR"};
#endif
}

Expected<std::optional<Tiles>> parseTilesArg(bool given, const std::string &spelled) {
  if (!given)
    return std::optional<Tiles>{};
  int v[4];
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t comma = spelled.find(',', pos);
    if ((i < 3) != (comma != std::string::npos))
      break;
    const std::string item = spelled.substr(pos, i < 3 ? comma - pos : std::string::npos);
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v[i]);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || v[i] < 1)
      break;
    if (i == 3)
      return std::optional<Tiles>{Tiles{v[0], v[1], v[2], v[3]}};
    pos = comma + 1;
  }
  return Error{fmt::format("bad --tiles '{}': expected four positive integers "
                           "BLOCK_M,BLOCK_N,WARPS,STAGES (e.g. 128,128,12,3)",
                           spelled)};
}

int usage(const std::string &msg) {
  fmt::print(stderr, "attngen: {}\n(see attngen --help)\n", msg);
  return kUsage;
}

int fail(const std::string &msg) {
  fmt::print(stderr, "attngen: error: {}\n", msg);
  return kFailed;
}

bool writeFile(const std::string &path, const std::string &data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
  f.close(); // a full disk shows up when the buffer is flushed
  return bool(f);
}

Expected<std::string> readFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return Error{fmt::format("cannot read '{}'", path)};
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Status writePackage(const std::string &dir, const KernelPlan &plan, const std::string &source) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Error{fmt::format("cannot create '{}': {}", dir, ec.message())};
  namespace fs = std::filesystem;
  if (!writeFile((fs::path(dir) / "plan.json").string(), toJson(plan)) ||
      !writeFile((fs::path(dir) / "kernel.cu").string(), source) ||
      !writeFile((fs::path(dir) / "variant.attn").string(), printVariant(plan.variant)))
    return Error{fmt::format("cannot write the package in '{}'", dir)};
  return Status::ok();
}

Expected<ShapeArg> parseShape(const std::string &text, int gqa) {
  std::vector<long long> v;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    try {
      size_t used = 0;
      long long x = std::stoll(item, &used);
      if (used != item.size() || x < 1 || x > INT_MAX)
        throw 0;
      v.push_back(x);
    } catch (...) {
      return Error{fmt::format("bad shape '{}': expected positive integers B,H,N or "
                               "B,Hq,Hkv,Nq,Nk",
                               text)};
    }
  }
  ShapeArg s;
  if (v.size() == 3) {
    s.batch = int(v[0]);
    s.headsQ = int(v[1]);
    s.seqQ = s.seqK = int(v[2]);
    if (s.headsQ % gqa)
      return Error{fmt::format("shape '{}': {} heads is not a multiple of the variant's gqa {}",
                               text, s.headsQ, gqa)};
    s.headsKv = s.headsQ / gqa;
  } else if (v.size() == 5) {
    s = {int(v[0]), int(v[1]), int(v[2]), int(v[3]), int(v[4])};
    if (int64_t(s.headsKv) * gqa != s.headsQ)
      return Error{fmt::format("shape '{}': heads_q {} != heads_kv {} x gqa {}", text, s.headsQ,
                               s.headsKv, gqa)};
  } else {
    return Error{fmt::format("bad shape '{}': expected B,H,N or B,Hq,Hkv,Nq,Nk", text)};
  }
  return s;
}

} // namespace attngen::cli
