//===- Jit.cpp - Kernels and the runtime (all but the compiler path) ------===//
//
// Runtime::get lives in runtime/api (it needs the MLIR pipeline when built);
// everything here is MLIR-free.
//
//===----------------------------------------------------------------------===//

#include "attngen/runtime/Jit.h"
#include "attngen/Codegen/EmitCuda.h"

#include "attngen/runtime/CacheKey.h"
#include "attngen/runtime/Driver.h"
#include "attngen/runtime/Launch.h"
#include "attngen/runtime/Sha256.h"
#include "attngen/runtime/Workspace.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace attngen {

Kernel::Kernel(KernelPlan plan, std::string cacheKey, std::string cubin)
    : kernelPlan(std::move(plan)), key(std::move(cacheKey)), image(std::move(cubin)) {}

Kernel::~Kernel() = default;

size_t Kernel::workspaceBytes(const Problem &problem) const {
  auto layout = computeWorkspace(kernelPlan, problem);
  return layout ? layout->totalBytes : 0;
}

Expected<const LoadedModule *> Kernel::moduleForCurrentContext() const {
  auto device = currentDevice();
  if (!device)
    return device.error();
  if (Status s = checkTargetRunsOn(kernelPlan.target, device->sm); !s)
    return Error{s.message()};
  std::lock_guard<std::mutex> lock(mutex);
  auto it = modules.find(device->context);
  if (it != modules.end())
    return it->second.get();
  for (const KernelDesc &k : kernelPlan.kernels)
    if (k.smemBytes > device->maxSmemOptin)
      return Error{fmt::format("kernel '{}' needs {} bytes of shared memory; the device "
                               "allows {}",
                               k.symbol, k.smemBytes, device->maxSmemOptin)};
  auto loaded = LoadedModule::load(image, kernelPlan, device->smCount);
  if (!loaded)
    return loaded.error();
  const LoadedModule *m = loaded->get();
  modules.emplace(device->context, std::move(*loaded));
  return m;
}

Status Kernel::prepare() const { return moduleForCurrentContext().status(); }

Status Kernel::launch(const Problem &problem, const Tensors &tensors, void *workspace,
                      size_t workspaceBytes, CUstream stream, LaunchStages stages) const {
  // Arguments first: a bad call is reported without touching the driver.
  auto params = buildParams(kernelPlan, problem, tensors, workspace, workspaceBytes);
  if (!params)
    return params.status();
  auto module = moduleForCurrentContext();
  if (!module)
    return module.status();
  const std::vector<CUfunction> &fns = (*module)->functions();
  // The persistent attention kernel: as many CTAs as stay resident, or
  // ATTNGEN_ATTENTION_CTAS of them (0: one per tile; for measurements and
  // for tests that make each CTA run many tiles).
  const char *pdlEnv = std::getenv("ATTNGEN_PDL");
  const bool pdl = !(pdlEnv && std::string(pdlEnv) == "0");
  unsigned ctaCap = 0;
  bool capped = false;
  if (const char *e = std::getenv("ATTNGEN_ATTENTION_CTAS"); e && *e) {
    char *end = nullptr;
    const unsigned long v = std::strtoul(e, &end, 10);
    if (*end != '\0' || v > std::numeric_limits<int>::max())
      return Error{fmt::format("ATTNGEN_ATTENTION_CTAS='{}' is not a CTA count", e)};
    ctaCap = unsigned(v), capped = true;
  }
  // KVStats counts its CTAs per head (its last one reduces the head's
  // partials): the counters start at zero every launch.
  if (params->kv_done && stages != LaunchStages::Attention)
    if (Status s = memsetWordsOnStream(params->kv_done, 0,
                                       size_t(params->batch) * size_t(params->heads_kv), stream);
        !s)
      return s;
  // The dynamic schedule's tile counter starts at zero every launch.
  if ((*module)->dynamicTiles() && stages != LaunchStages::Prologue) {
    if (!params->tile_counter)
      return Error{"the attention kernel schedules its tiles dynamically but the workspace "
                   "has no tile counter (a plan that is not a wgmma plan?)"};
    if (Status s = memsetWordsOnStream(params->tile_counter, 0, 1, stream); !s)
      return s;
  }
  // The persistent attention kernel's resident CTAs (0: one CTA per tile).
  const unsigned resident = (*module)->persistentCtas();
  bool previousLaunched = false; // the stream's previous kernel is this call's
  for (size_t i = 0; i < kernelPlan.kernels.size(); ++i) {
    const KernelDesc &k = kernelPlan.kernels[i];
    const bool attention = k.role == KernelRole::Attention;
    if ((stages == LaunchStages::Prologue && attention) ||
        (stages == LaunchStages::Attention && !attention))
      continue;
    // (A kernel that runs one tile per CTA gets one CTA per tile.)
    const unsigned maxCtas = resident == 0 ? 0u : capped ? ctaCap : resident;
    GridDims g = gridFor(k.role, kernelPlan, *params, maxCtas);
    // QuantKV and the attention kernel may start under the previous kernel's
    // tail (programmatic dependent launch: sm_90 builds wait for it with
    // griddepcontrol.wait before they read its results; KVStats and QuantKV
    // allow it at their start). ATTNGEN_PDL=0 launches them plainly.
    // Only after a kernel of this call: QuantKV loads K before its wait, so a
    // caller's kernel that writes K must have finished first.
    const bool dependent = pdl && previousLaunched && kernelPlan.target.sm >= 90 &&
                           (k.role == KernelRole::QuantKV || attention);
    const unsigned grid[3] = {g.x, g.y, g.z};
    if (Status s = launchOnStream(fns[i], grid, unsigned(k.threads), k.smemBytes, stream,
                                  &*params, k.symbol, dependent);
        !s)
      return s;
    previousLaunched = true;
  }
  stats::recordLaunch();
  return Status::ok();
}

Expected<size_t> Kernel::blockMapBytes(const Problem &problem, const Tensors &tensors) const {
  auto g = blockMapGeometry(kernelPlan, problem, tensors);
  if (!g)
    return g.error();
  return g->bytes;
}

Status Kernel::buildBlockMap(const Problem &problem, const Tensors &tensors, void *map,
                             size_t mapBytes, CUstream stream) const {
  BlockMapGeometry geometry;
  auto params = buildBlockMapParams(kernelPlan, problem, tensors, map, mapBytes, &geometry);
  if (!params)
    return params.status();
  auto module = moduleForCurrentContext();
  if (!module)
    return module.status();
  const GridDims g = gridForBlockMap(geometry);
  const unsigned grid[3] = {g.x, g.y, g.z};
  return launchOnStream((*module)->blockMapFunction(), grid, unsigned(BlockMapThreads), 0,
                        stream, &*params, BlockMapSymbol);
}

Status Kernel::launch(const Problem &problem, const Tensors &tensors, void *workspace,
                      CUstream stream) const {
  return launch(problem, tensors, workspace, SIZE_MAX, stream);
}

Runtime &Runtime::instance() {
  static Runtime *runtime = new Runtime(); // see the header: never destroyed
  return *runtime;
}

Runtime::Runtime() {
  const char *off = std::getenv("ATTNGEN_DISK_CACHE");
  if (off && std::string(off) == "0")
    return;
  if (auto dir = DiskCache::defaultDirectory())
    diskDir = *dir;
}

void Runtime::setDiskCacheDirectory(std::optional<std::string> dir) {
  std::lock_guard<std::mutex> lock(mutex);
  diskDir = std::move(dir);
}

std::optional<std::string> Runtime::diskCacheDirectory() const {
  std::lock_guard<std::mutex> lock(mutex);
  return diskDir;
}

void Runtime::setLineInfo(bool on) {
  std::lock_guard<std::mutex> lock(mutex);
  lineInfo = on;
}

void Runtime::clearMemoryCache() {
  memory.clear();
  std::lock_guard<std::mutex> lock(mutex);
  byVariant.clear();
}

Expected<Target> Runtime::detectTarget() const {
  auto device = currentDevice();
  if (!device)
    return device.error();
  return targetForSm(device->sm);
}

Expected<std::string> Runtime::compileOrFetch(const std::string &key, const std::string &source,
                                              const NvrtcOptions &opts) {
  auto compile = [&]() -> Expected<std::string> {
    auto compiled = compileCuda(source, opts);
    if (!compiled)
      return compiled.error();
    return std::move(compiled->cubin);
  };
  std::optional<std::string> dir = diskCacheDirectory();
  if (!dir)
    return compile();
  // The disk cache only saves time: a directory that cannot be created, locked
  // or written (a read-only $HOME) must not fail the JIT. A compile error is
  // the caller's; any other failure falls back to compiling (or to the cubin
  // already compiled when only storing it failed).
  std::optional<Expected<std::string>> compiled;
  auto cached = DiskCache(*dir).getOrCompile(key, [&]() -> Expected<std::string> {
    compiled = compile();
    return *compiled;
  });
  if (cached)
    return cached;
  if (compiled)
    return std::move(*compiled);
  return compile();
}

/// $ATTNGEN_NVRTC_DEFINES: whitespace-separated NAME or NAME=VALUE, handed to
/// NVRTC as -D options (and so hashed into the cache key). A developer's knob:
/// it builds the template macros' alternatives (AG_SM90_*) from one binary for
/// side-by-side timing (tools/gpu/ab.sh); docs/BENCHMARK.md.
static Expected<std::vector<std::string>> environmentDefines() {
  std::vector<std::string> out;
  const char *env = std::getenv("ATTNGEN_NVRTC_DEFINES");
  if (!env)
    return out;
  std::istringstream in(env);
  for (std::string tok; in >> tok;) {
    const size_t eq = tok.find('=');
    const std::string name = tok.substr(0, eq);
    bool ok = !name.empty() && !std::isdigit((unsigned char)name[0]);
    for (char c : name)
      ok = ok && (std::isalnum((unsigned char)c) || c == '_');
    if (!ok)
      return Error{fmt::format("ATTNGEN_NVRTC_DEFINES: '{}' is not NAME or NAME=VALUE", tok)};
    out.push_back("-D" + tok);
  }
  return out;
}

Expected<std::shared_ptr<Kernel>> Runtime::load(const KernelPlan &plan,
                                                const std::string &cudaSource) {
  if (plan.kernels.empty())
    return Error{"the plan has no kernels"};
  NvrtcOptions opts;
  opts.target = plan.target;
  {
    std::lock_guard<std::mutex> lock(mutex);
    opts.lineInfo = lineInfo;
  }
  auto defines = environmentDefines();
  if (!defines)
    return defines.error();
  opts.extra = std::move(*defines);
  auto inputs = cacheKeyInputs(cudaSource, opts);
  if (!inputs)
    return inputs.error();
  const std::string key = computeCacheKey(*inputs);
  // A Kernel is its cubin and its plan (symbols, shared memory, scale, LSE...):
  // two plans over one source (an edited package manifest) share the cubin's
  // key but not the launch, so the memory cache keys on both.
  const std::string memoryKey = key + "." + Sha256::hexDigest(toJson(plan));
  bool hit = false;
  auto kernel = memory.getOrBuild(
      memoryKey,
      [&]() -> Expected<std::shared_ptr<Kernel>> {
        auto cubin = compileOrFetch(key, cudaSource, opts);
        if (!cubin)
          return cubin.error();
        return std::make_shared<Kernel>(plan, key, std::move(*cubin));
      },
      &hit);
  stats::recordMemory(hit);
  return kernel;
}

Expected<std::shared_ptr<Kernel>> Runtime::loadPackage(const std::string &dir) {
  auto read = [](const std::string &path) -> Expected<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return Error{"cannot read " + path};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  auto json = read(dir + "/plan.json");
  if (!json)
    return Error{"not a kernel package: " + json.message()};
  auto source = read(dir + "/kernel.cu");
  if (!source)
    return Error{"not a kernel package: " + source.message()};
  std::string error;
  std::optional<KernelPlan> plan = planFromJson(*json, error);
  if (!plan)
    return Error{fmt::format("{}/plan.json: {}", dir, error)};
  // A package is a plan and the source emitted from it. One edited without the
  // other, or a package written by another generator version, would launch a
  // source with a plan it was not generated for (grid, shared memory, symbols),
  // so the source is regenerated from the plan and must be the same text.
  const std::string expected = emitCuda(*plan);
  if (expected != *source) {
    int line = 1;
    for (size_t i = 0; i < expected.size() && i < source->size() && expected[i] == (*source)[i]; ++i)
      line += expected[i] == '\n';
    return Error{fmt::format("{}/kernel.cu does not match its plan.json (first difference at line "
                             "{}): it was edited or written by another generator version; "
                             "re-emit the package (attngen emit --package)",
                             dir, line)};
  }
  return load(*plan, *source);
}

} // namespace attngen
