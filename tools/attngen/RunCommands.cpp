//===- RunCommands.cpp - run, bench and demo: kernels on the GPU ----------===//

#include "Cli.h"

#include "attngen/Frontend/Printer.h"
#include "attngen/reference/Emulate.h"
#include "attngen/reference/Exact.h"
#include "attngen/reference/Inputs.h"
#include "attngen/runtime/Check.h"
#include "attngen/runtime/DeviceMemory.h"
#include "attngen/runtime/Driver.h"
#include "attngen/runtime/Jit.h"

#include <fmt/format.h>

#include <chrono>
#include <sstream>

namespace attngen::cli {

namespace {

int noGpu(const std::string &why) {
  fmt::print(stderr, "attngen: this command needs a GPU: {}\n", why);
  return kNoGpu;
}

ref::AttnShape toShape(const ShapeArg &s, int headDim) {
  return {s.batch, s.headsQ, s.headsKv, s.seqQ, s.seqK, headDim};
}

/// The kernel named by the command line: a DSL file (JIT through the
/// pipeline) or a package directory.
Expected<std::shared_ptr<Kernel>> kernelFromArgs(const Args &args) {
  Runtime &rt = Runtime::instance();
  if (args.has("package")) {
    if (!args.positional().empty())
      return Error{"give either a DSL file or --package DIR, not both"};
    // A package is one variant compiled for one target: nothing to pick.
    if (args.has("variant") || args.has("target"))
      return Error{"--variant and --target apply to a DSL file, not to --package DIR"};
    return rt.loadPackage(args.get("package"));
  }
  if (args.positional().size() != 1)
    return Error{"needs one DSL file (or --package DIR)"};
  auto vs = loadVariants(args.positional()[0], args.get("variant"), false);
  if (!vs)
    return vs.error();
  std::optional<Target> target;
  if (args.has("target")) {
    auto t = resolveTarget(args.get("target"));
    if (!t)
      return t.error();
    target = *t;
  }
  return rt.get(vs->front(), target);
}

/// Median time of whole launches of `kernel` on `p`.
Expected<double> timeKernel(const Kernel &kernel, DeviceProblem &p, int reps) {
  return medianMs(
      [&] {
        return kernel.launch(p.problem, p.tensors, p.workspace.data(), p.workspace.bytes(),
                             nullptr);
      },
      3, reps);
}

} // namespace

int cmdRun(int argc, char **argv) {
  auto args = Args::parse(argc, argv,
                          {"variant", "target", "package", "shape", "inputs", "seed", "reps",
                           "tuning-db"},
                          {});
  if (!args)
    return usage(args.message());
  if (auto dev = currentDevice(); !dev)
    return noGpu(dev.message());
  auto kernel = kernelFromArgs(*args);
  if (!kernel)
    return fail(kernel.message());
  const Variant var = (*kernel)->plan().variant;
  auto shape = parseShape(args->get("shape", "1,8,2048"), var.gqa);
  auto seed = args->getInt("seed", 1);
  auto reps = args->getInt("reps", 20);
  if (!shape || !seed || !reps)
    return usage(!shape ? shape.message() : !seed ? seed.message() : reps.message());
  kernel = withTunedTiles(*kernel, args->get("tuning-db"), *shape);
  if (!kernel)
    return fail(kernel.message());
  const std::string inputs = args->get("inputs", "random");
  if (inputs != "random" && inputs != "activation")
    return usage(fmt::format("unknown --inputs '{}' (random or activation)", inputs));
  auto name = deviceName();
  fmt::print("{} on {} ({}), shape B={} Hq={} Hkv={} Nq={} Nk={} D={}, {} inputs\n", var.name,
             name ? *name : "?", (*kernel)->plan().target.name(), shape->batch, shape->headsQ,
             shape->headsKv, shape->seqQ, shape->seqK, var.head_dim, inputs);
  auto prob = makeDeviceProblem(**kernel, toShape(*shape, var.head_dim),
                                inputs == "random" ? InputKind::Random : InputKind::ActivationLike,
                                uint64_t(*seed));
  if (!prob)
    return fail(prob.message());
  auto r = checkAgainstReference(**kernel, **prob);
  if (!r)
    return fail(r.message());
  fmt::print("{}", r->text);
  if (*reps > 0) {
    auto ms = timeKernel(**kernel, **prob, int(*reps));
    if (!ms)
      return fail(ms.message());
    fmt::print("  time end to end (median of {}): {:.3f} ms, {:.1f} TFLOPS\n", *reps, *ms,
               attentionFlops(var, (*prob)->shape) / (*ms * 1e-3) / 1e12);
  }
  fmt::print("{}\n", r->pass ? "PASS" : "FAIL");
  return r->pass ? kOk : kFailed;
}

int cmdBench(int argc, char **argv) {
  auto args = Args::parse(argc, argv, {"variant", "target", "package", "shapes", "reps", "tuning-db"},
                          {});
  if (!args)
    return usage(args.message());
  if (auto dev = currentDevice(); !dev)
    return noGpu(dev.message());
  auto kernel = kernelFromArgs(*args);
  if (!kernel)
    return fail(kernel.message());
  const Variant var = (*kernel)->plan().variant;
  auto reps = args->getInt("reps", 30);
  if (!reps)
    return usage(reps.message());
  if (*reps < 1)
    return usage(fmt::format("--reps {}: bench times at least one run", *reps));
  fmt::print("| shape B,Hq,Hkv,Nq,Nk | D | ms end to end | TFLOPS |\n|---|---|---|---|\n");
  std::stringstream ss(args->get("shapes", "16,32,1024;4,32,4096;1,32,16384"));
  for (std::string item; std::getline(ss, item, ';');) {
    auto shape = parseShape(item, var.gqa);
    if (!shape)
      return usage(shape.message());
    auto tuned = withTunedTiles(*kernel, args->get("tuning-db"), *shape);
    if (!tuned)
      return fail(tuned.message());
    auto prob = makeDeviceProblem(**tuned, toShape(*shape, var.head_dim), InputKind::Random, 7);
    if (!prob)
      return fail(prob.message());
    auto ms = timeKernel(**tuned, **prob, int(*reps));
    if (!ms)
      return fail(ms.message());
    fmt::print("| {},{},{},{},{} | {} | {:.3f} | {:.1f} |\n", shape->batch, shape->headsQ,
               shape->headsKv, shape->seqQ, shape->seqK, var.head_dim, *ms,
               attentionFlops(var, (*prob)->shape) / (*ms * 1e-3) / 1e12);
  }
  return kOk;
}

int cmdDemo(int argc, char **argv) {
  auto args = Args::parse(argc, argv, {"variant", "shape"}, {});
  if (!args)
    return usage(args.message());
  if (args->positional().size() != 1)
    return usage("demo needs one DSL file (the README uses examples/default.attn)");
  auto vs = loadVariants(args->positional()[0], args->get("variant"), false);
  if (!vs)
    return fail(vs.message());
  const Variant &v = vs->front();
  bool onGpu = false;
  auto target = resolveTarget("", &onGpu);
  if (!target)
    return fail(target.message());
  fmt::print("== variant (canonical DSL)\n{}\n", printVariant(v));
  fmt::print("== target: {} ({})\n\n", target->name(),
             onGpu ? "this machine's GPU" : "no GPU here: generating for sm_90a");
  std::string inputIR, planIR;
  auto plan = lowerVariant(v, *target, &inputIR, &planIR);
  if (!plan)
    return fail(plan.message());
  fmt::print("== attn dialect (MLIRGen)\n{}\n== after the pipeline (kernel plan)\n{}\n", inputIR,
             planIR);
  auto shape = parseShape(args->get("shape", "1,32,16384"), v.gqa);
  if (!shape)
    return usage(shape.message());
  fmt::print("== plan and resources\n{}\n", explainPlan(*plan, *shape, true));

  Runtime &rt = Runtime::instance();
  const RuntimeStats before = rt.stats();
  auto t0 = std::chrono::steady_clock::now();
  auto kernel = rt.get(v, *target);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!kernel)
    return fail(kernel.message());
  const RuntimeStats after = rt.stats();
  fmt::print("== JIT: {:.0f} ms ({} NVRTC compile, {} disk-cache hit), key {}...\n\n", ms,
             after.nvrtcCompiles - before.nvrtcCompiles, after.diskHits - before.diskHits,
             (*kernel)->cacheKey().substr(0, 16));

  if (!onGpu) {
    fmt::print("== no GPU on this machine: the CPU emulation of the variant on a small shape\n");
    ref::AttnShape s{1, 2 * v.gqa, 2, 256, 256, v.head_dim};
    ref::AttnInputs in = ref::activationLike(s, 1);
    std::string err;
    auto emu = ref::emulate(*plan, in, err);
    if (!emu)
      return fail("emulation: " + err);
    auto exact = ref::exactAttention(in, ref::exactOptionsFor(v, s.headsQ), err);
    if (!exact)
      return fail("exact reference: " + err);
    fmt::print("  activation-like inputs B=1 Hq={} Hkv=2 N=256 D={}\n  emulation vs exact: {}\n",
               s.headsQ, v.head_dim, ref::compare(emu->out.o, exact->o).str());
    return kOk;
  }
  int rc = kOk;
  for (InputKind kind : {InputKind::Random, InputKind::ActivationLike}) {
    fmt::print("== on the GPU against the CPU reference, {} inputs, B=1 H={} N=4096\n",
               kind == InputKind::Random ? "random normal" : "activation-like", 4 * v.gqa);
    auto prob = makeDeviceProblem(**kernel, {1, 4 * v.gqa, 4, 4096, 4096, v.head_dim}, kind, 1);
    if (!prob)
      return fail(prob.message());
    auto r = checkAgainstReference(**kernel, **prob);
    if (!r)
      return fail(r.message());
    fmt::print("{}{}\n\n", r->text, r->pass ? "PASS" : "FAIL");
    rc = r->pass ? rc : kFailed;
  }
  auto prob = makeDeviceProblem(**kernel, toShape(*shape, v.head_dim), InputKind::Random, 3);
  if (!prob)
    return fail(prob.message());
  auto t = timeKernel(**kernel, **prob, 20);
  if (!t)
    return fail(t.message());
  fmt::print("== speed, end to end (quantization included), B={} H={} N={} D={}: {:.3f} ms, "
             "{:.1f} TFLOPS\n",
             shape->batch, shape->headsQ, shape->seqQ, v.head_dim, *t,
             attentionFlops(v, (*prob)->shape) / (*t * 1e-3) / 1e12);
  return rc;
}

} // namespace attngen::cli
