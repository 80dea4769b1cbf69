//===- CApi.cpp - The C API over the JIT ----------------------------------===//

#include "attngen/attngen.h"

#include "attngen/Analysis/CostModel.h"
#include "attngen/Codegen/EmitCuda.h"
#include "attngen/Frontend/Parser.h"
#include "attngen/runtime/Jit.h"
#include "attngen/runtime/Launch.h"
#include "attngen/runtime/Tune.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>

struct attngen_kernel_s {
  std::shared_ptr<attngen::Kernel> kernel;
  std::string planJson;
  /// The tuning database its launches take their tiles from (none: the plan's).
  std::shared_ptr<attngen::TunedKernels> tuned;
};

namespace {

thread_local std::string lastError;

int fail(std::string message) {
  lastError = std::move(message);
  return 1;
}
int succeed() {
  lastError.clear();
  return 0;
}

/// Runs `body`; an exception (std::bad_alloc, a std::regex limit) must not
/// unwind into a C caller or ctypes, where it would terminate the process.
template <typename Body> int guarded(const char *fn, Body &&body) {
  try {
    return body();
  } catch (const std::exception &e) {
    return fail(fmt::format("{}: {}", fn, e.what()));
  } catch (...) {
    return fail(fmt::format("{}: unknown exception", fn));
  }
}

int wrap(attngen::Expected<std::shared_ptr<attngen::Kernel>> k, attngen_kernel_t *out) {
  if (!k)
    return fail(k.message());
  std::string json = attngen::toJson((*k)->plan());
  *out = new attngen_kernel_s{std::move(*k), std::move(json), nullptr};
  if (const char *db = std::getenv("ATTNGEN_TUNING_DB"); db && *db)
    (*out)->tuned = std::make_shared<attngen::TunedKernels>((*out)->kernel, db);
  return succeed();
}

/// The kernel that runs `p`: the handle's own, or its tuning database's choice.
attngen::Expected<std::shared_ptr<attngen::Kernel>> kernelFor(attngen_kernel_t k,
                                                              const attngen::Problem &p) {
  if (!k->tuned)
    return k->kernel;
  return k->tuned->forProblem(p);
}

} // namespace

extern "C" {

int attngen_compile(const char *dsl_text, const char *target_or_null, attngen_kernel_t *out) {
  return guarded("attngen_compile", [&]() -> int {
    if (!dsl_text || !out)
      return fail("attngen_compile: dsl_text and out must not be null");
    *out = nullptr;
    attngen::ParseResult parsed = attngen::parseVariants(dsl_text, "<dsl>");
    if (!parsed.ok())
      return fail(parsed.errors());
    if (parsed.variants.size() != 1)
      return fail(fmt::format("attngen_compile takes one variant; the text defines {}",
                              parsed.variants.size()));
    std::optional<attngen::Target> target;
    if (target_or_null) {
      target = attngen::Target::parse(target_or_null);
      if (!target)
        return fail(fmt::format("unknown target '{}' (sm_80, sm_86, sm_89, sm_90, sm_90a)",
                                target_or_null));
    }
    return wrap(attngen::Runtime::instance().get(parsed.variants.front(), target), out);
  });
}

int attngen_load_package(const char *dir, attngen_kernel_t *out) {
  return guarded("attngen_load_package", [&]() -> int {
    if (!dir || !out)
      return fail("attngen_load_package: dir and out must not be null");
    *out = nullptr;
    return wrap(attngen::Runtime::instance().loadPackage(dir), out);
  });
}

namespace {

attngen::Problem toProblem(const attngen_problem &p) {
  return attngen::Problem{p.batch, p.heads_q, p.heads_kv, p.seq_q, p.seq_k};
}

attngen::Tensors toTensors(const attngen_tensors &c) {
  attngen::Tensors t;
  t.q = c.q;
  t.k = c.k;
  t.v = c.v;
  t.o = c.o;
  t.lse = c.lse;
  t.alibi_slopes = c.alibi_slopes;
  t.bias_q = c.bias_q;
  t.bias_k = c.bias_k;
  t.bias_rank = c.bias_rank;
  t.bias_dense = c.bias_dense;
  t.bias_block_map = c.bias_block_map;
  t.seq_lens_k = c.seq_lens_k;
  for (int i = 0; i < 3; ++i) {
    t.bias_q_stride[i] = c.bias_q_stride[i];
    t.bias_k_stride[i] = c.bias_k_stride[i];
    t.bias_dense_stride[i] = c.bias_dense_stride[i];
    t.q_stride[i] = c.q_stride[i];
    t.k_stride[i] = c.k_stride[i];
    t.v_stride[i] = c.v_stride[i];
    t.o_stride[i] = c.o_stride[i];
  }
  return t;
}

} // namespace

int attngen_workspace_bytes(attngen_kernel_t kernel, const attngen_problem *problem,
                            size_t *out) {
  return guarded("attngen_workspace_bytes", [&]() -> int {
    if (!kernel || !problem || !out)
      return fail("attngen_workspace_bytes: kernel, problem and out must not be null");
    const attngen::Problem p = toProblem(*problem);
    auto k = kernelFor(kernel, p);
    if (!k)
      return fail(k.message());
    auto layout = attngen::computeWorkspace((*k)->plan(), p);
    if (!layout)
      return fail(layout.message());
    *out = layout->totalBytes;
    return succeed();
  });
}


int attngen_block_map_bytes(attngen_kernel_t kernel, const attngen_problem *problem,
                            const attngen_tensors *tensors, size_t *out) {
  return guarded("attngen_block_map_bytes", [&]() -> int {
    if (!kernel || !problem || !tensors || !out)
      return fail("attngen_block_map_bytes: kernel, problem, tensors and out must not be null");
    auto k = kernelFor(kernel, toProblem(*problem));
    if (!k)
      return fail(k.message());
    auto bytes = (*k)->blockMapBytes(toProblem(*problem), toTensors(*tensors));
    if (!bytes)
      return fail(bytes.message());
    *out = *bytes;
    return succeed();
  });
}

int attngen_build_block_map(attngen_kernel_t kernel, const attngen_problem *problem,
                            const attngen_tensors *tensors, void *map, size_t map_bytes,
                            void *stream) {
  return guarded("attngen_build_block_map", [&]() -> int {
    if (!kernel || !problem || !tensors)
      return fail("attngen_build_block_map: kernel, problem and tensors must not be null");
    auto k = kernelFor(kernel, toProblem(*problem));
    if (!k)
      return fail(k.message());
    attngen::Status s = (*k)->buildBlockMap(toProblem(*problem), toTensors(*tensors), map,
                                            map_bytes, static_cast<CUstream>(stream));
    return s ? succeed() : fail(s.message());
  });
}

int attngen_launch(attngen_kernel_t kernel, const attngen_problem *problem,
                   const attngen_tensors *tensors, void *workspace, size_t workspace_bytes,
                   void *stream) {
  return attngen_launch_stages(kernel, problem, tensors, workspace, workspace_bytes, stream,
                               ATTNGEN_STAGES_ALL);
}

int attngen_launch_stages(attngen_kernel_t kernel, const attngen_problem *problem,
                          const attngen_tensors *tensors, void *workspace,
                          size_t workspace_bytes, void *stream, int stages) {
  return guarded("attngen_launch_stages", [&]() -> int {
    if (!kernel || !problem || !tensors)
      return fail("attngen_launch: kernel, problem and tensors must not be null");
    if (stages < ATTNGEN_STAGES_ALL || stages > ATTNGEN_STAGES_ATTENTION)
      return fail("attngen_launch_stages: stages must be ATTNGEN_STAGES_ALL, _PROLOGUE or "
                  "_ATTENTION");
    const attngen::Problem p = toProblem(*problem);
    const attngen::Tensors t = toTensors(*tensors);
    auto k = kernelFor(kernel, p);
    if (!k)
      return fail(k.message());
    attngen::Status s = (*k)->launch(p, t, workspace, workspace_bytes,
                                     static_cast<CUstream>(stream),
                                     static_cast<attngen::LaunchStages>(stages));
    return s ? succeed() : fail(s.message());
  });
}

int attngen_kernel_cost(attngen_kernel_t kernel, const attngen_problem *problem,
                        attngen_cost *out) {
  return guarded("attngen_kernel_cost", [&]() -> int {
    if (!kernel || !problem || !out)
      return fail("attngen_kernel_cost: kernel, problem and out must not be null");
    const attngen::Problem p = toProblem(*problem);
    auto k = kernelFor(kernel, p);
    if (!k)
      return fail(k.message());
    // The model assumes the shape the launch would accept.
    if (auto layout = attngen::computeWorkspace((*k)->plan(), p); !layout)
      return fail(layout.message());
    attngen::ProblemShape shape;
    shape.batch = p.batch, shape.headsQ = p.heads_q, shape.headsKV = p.heads_kv;
    shape.seqQ = p.seq_q, shape.seqK = p.seq_k;
    const attngen::CostReport r = attngen::analyzeCost((*k)->plan(), shape);
    *out = attngen_cost{};
    out->flops = r.flops, out->exps = r.exps;
    out->hbm_bytes_compulsory = r.bytesCompulsory, out->hbm_bytes_prologue = r.bytesPrologue;
    out->hbm_bytes_attention = r.bytesAttention, out->io_lower_bound_bytes = r.ioLowerBound;
    out->matmul_ms = r.tMatmul * 1e3, out->exp_ms = r.tExp * 1e3, out->memory_ms = r.tHbm * 1e3;
    out->floor_ms = r.tFloor * 1e3;
    std::snprintf(out->bound, sizeof out->bound, "%s", r.bound.c_str());
    return succeed();
  });
}

int attngen_kernel_set_tuning_db(attngen_kernel_t kernel, const char *path_or_null) {
  return guarded("attngen_kernel_set_tuning_db", [&]() -> int {
    if (!kernel)
      return fail("attngen_kernel_set_tuning_db: kernel must not be null");
    kernel->tuned = path_or_null && *path_or_null
                        ? std::make_shared<attngen::TunedKernels>(kernel->kernel, path_or_null)
                        : nullptr;
    return succeed();
  });
}

int attngen_kernel_tiles(attngen_kernel_t kernel, const attngen_problem *problem,
                         attngen_tiles *out) {
  return guarded("attngen_kernel_tiles", [&]() -> int {
    if (!kernel || !problem || !out)
      return fail("attngen_kernel_tiles: kernel, problem and out must not be null");
    auto k = kernelFor(kernel, toProblem(*problem));
    if (!k)
      return fail(k.message());
    const attngen::KernelPlan &plan = (*k)->plan();
    *out = attngen_tiles{plan.tiles.blockM, plan.tiles.blockN, plan.tiles.warps,
                         plan.tiles.stages, plan.kvChunk};
    return succeed();
  });
}

const char *attngen_kernel_plan_json(attngen_kernel_t kernel) {
  if (!kernel) {
    fail("attngen_kernel_plan_json: kernel is null");
    return nullptr;
  }
  return kernel->planJson.c_str();
}

void attngen_kernel_release(attngen_kernel_t kernel) { delete kernel; }

const char *attngen_last_error(void) { return lastError.c_str(); }

int attngen_stats(attngen_stats_t *out) {
  return guarded("attngen_stats", [&]() -> int {
    if (!out)
      return fail("attngen_stats: out is null");
    attngen::RuntimeStats s = attngen::runtimeStats();
    out->nvrtc_compiles = s.nvrtcCompiles;
    out->compile_ms = s.compileMs;
    out->memory_hits = s.memoryHits;
    out->memory_misses = s.memoryMisses;
    out->disk_hits = s.diskHits;
    out->disk_misses = s.diskMisses;
    out->module_loads = s.moduleLoads;
    out->launches = s.launches;
    return succeed();
  });
}

const char *attngen_version(void) { return attngen::generatorVersion(); }

} // extern "C"
