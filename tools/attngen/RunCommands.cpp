//===- RunCommands.cpp - run, bench and demo: kernels on the GPU ----------===//

#include "Cli.h"

#include "attngen/Analysis/CostModel.h"
#include "attngen/Codegen/EmitCuda.h"
#include "attngen/Frontend/Printer.h"
#include "attngen/reference/Emulate.h"
#include "attngen/reference/Exact.h"
#include "attngen/reference/Inputs.h"
#include "attngen/reference/Metrics.h"
#include "attngen/reference/Tolerance.h"
#include "attngen/runtime/DeviceMemory.h"
#include "attngen/runtime/Driver.h"
#include "attngen/runtime/Jit.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <sstream>

namespace attngen::cli {

using namespace attngen::ref;

std::string explainPlan(const KernelPlan &plan, const ShapeArg &shape, bool withResources);

namespace {

int usage(const std::string &msg) {
  fmt::print(stderr, "attngen: {}\n(see attngen --help)\n", msg);
  return kUsage;
}
int fail(const std::string &msg) {
  fmt::print(stderr, "attngen: error: {}\n", msg);
  return kFailed;
}

/// The kernel named by the command line: a DSL file (JIT through the
/// pipeline) or a package directory.
Expected<std::shared_ptr<Kernel>> kernelFromArgs(const Args &args) {
  Runtime &rt = Runtime::instance();
  if (args.has("package")) {
    if (!args.positional().empty())
      return Error{"give either a DSL file or --package DIR, not both"};
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

/// Device copies of one problem's inputs and outputs.
struct DeviceProblem {
  Problem problem;
  AttnShape shape;
  AttnInputs inputs; ///< rounded to the input type: what the GPU sees
  DeviceBuffer q, k, v, o, lse, workspace;
  Tensors tensors;
};

Expected<std::unique_ptr<DeviceProblem>> makeProblem(const Kernel &kernel, const ShapeArg &s,
                                                     const std::string &kind, uint64_t seed) {
  const Variant &var = kernel.plan().variant;
  auto p = std::make_unique<DeviceProblem>();
  p->problem = {s.batch, s.headsQ, s.headsKv, s.seqQ, s.seqK};
  p->shape = {s.batch, s.headsQ, s.headsKv, s.seqQ, s.seqK, var.head_dim};
  if (std::string err = validate(p->shape); !err.empty())
    return Error{err};
  if (kind == "random")
    p->inputs = randomNormal(p->shape, seed);
  else if (kind == "activation")
    p->inputs = activationLike(p->shape, seed);
  else
    return Error{fmt::format("unknown --inputs '{}' (random or activation)", kind)};
  const int in = toDtCode(var.input);
  auto upload = [&](std::vector<float> &host, DeviceBuffer &dev) -> Status {
    std::vector<unsigned short> bits = toHalfBits(host, in);
    host = fromHalfBits(bits, in); // the reference sees exactly what the GPU sees
    auto b = DeviceBuffer::allocate(bits.size() * 2);
    if (!b)
      return b.status();
    dev = std::move(*b);
    return dev.upload(bits.data(), bits.size() * 2);
  };
  if (Status st = upload(p->inputs.q, p->q); !st)
    return Error{st.message()};
  if (Status st = upload(p->inputs.k, p->k); !st)
    return Error{st.message()};
  if (Status st = upload(p->inputs.v, p->v); !st)
    return Error{st.message()};
  const size_t outBytes = p->shape.qElems() * (bitWidth(var.output) / 8);
  auto o = DeviceBuffer::allocate(outBytes);
  auto lse = DeviceBuffer::allocate(p->shape.lseElems() * 4);
  const size_t wsBytes = kernel.workspaceBytes(p->problem);
  if (wsBytes == 0)
    return Error{"invalid problem for this kernel (workspace size 0)"};
  auto ws = DeviceBuffer::allocate(wsBytes);
  if (!o || !lse || !ws)
    return Error{!o ? o.message() : !lse ? lse.message() : ws.message()};
  p->o = std::move(*o);
  p->lse = std::move(*lse);
  p->workspace = std::move(*ws);
  Tensors &t = p->tensors;
  t.q = p->q.data();
  t.k = p->k.data();
  t.v = p->v.data();
  t.o = p->o.data();
  t.lse = var.lse ? static_cast<float *>(p->lse.data()) : nullptr;
  const bool bnhd = var.layout == Layout::BNHD;
  denseStrides(t.q_stride, bnhd, s.headsQ, s.seqQ, var.head_dim);
  denseStrides(t.k_stride, bnhd, s.headsKv, s.seqK, var.head_dim);
  denseStrides(t.v_stride, bnhd, s.headsKv, s.seqK, var.head_dim);
  denseStrides(t.o_stride, bnhd, s.headsQ, s.seqQ, var.head_dim);
  if (bnhd) {
    // The reference works on [B, H, N, D]; the device tensors are [B, N, H, D].
    auto toBnhd = [&](std::vector<float> &x, int heads, int seq, DeviceBuffer &dev) -> Status {
      std::vector<float> y(x.size());
      for (int b = 0; b < s.batch; ++b)
        for (int h = 0; h < heads; ++h)
          for (int n = 0; n < seq; ++n)
            for (int d = 0; d < var.head_dim; ++d)
              y[((size_t(b) * seq + n) * heads + h) * var.head_dim + d] =
                  x[((size_t(b) * heads + h) * seq + n) * var.head_dim + d];
      std::vector<unsigned short> bits = toHalfBits(y, in);
      return dev.upload(bits.data(), bits.size() * 2);
    };
    if (Status st = toBnhd(p->inputs.q, s.headsQ, s.seqQ, p->q); !st)
      return Error{st.message()};
    if (Status st = toBnhd(p->inputs.k, s.headsKv, s.seqK, p->k); !st)
      return Error{st.message()};
    if (Status st = toBnhd(p->inputs.v, s.headsKv, s.seqK, p->v); !st)
      return Error{st.message()};
  }
  return p;
}

/// The kernel's O as float [B, H, N, D].
Expected<std::vector<float>> readOutput(const DeviceProblem &p, const Variant &var) {
  const size_t n = p.shape.qElems();
  std::vector<float> out(n);
  if (var.output == DType::F32) {
    if (Status s = p.o.download(out.data(), n * 4); !s)
      return Error{s.message()};
  } else {
    std::vector<unsigned short> bits(n);
    if (Status s = p.o.download(bits.data(), n * 2); !s)
      return Error{s.message()};
    out = fromHalfBits(bits, toDtCode(var.output));
  }
  if (var.layout == Layout::BNHD) {
    std::vector<float> y(n);
    const auto &s = p.shape;
    for (int b = 0; b < s.batch; ++b)
      for (int h = 0; h < s.headsQ; ++h)
        for (int i = 0; i < s.seqQ; ++i)
          for (int d = 0; d < s.headDim; ++d)
            y[((size_t(b) * s.headsQ + h) * s.seqQ + i) * s.headDim + d] =
                out[((size_t(b) * s.seqQ + i) * s.headsQ + h) * s.headDim + d];
    out.swap(y);
  }
  return out;
}

double flopsOf(const Variant &v, const ShapeArg &s) {
  ProblemShape ps{s.batch, s.headsQ, s.headsKv, s.seqQ, s.seqK};
  KernelPlan plan;
  plan.variant = v;
  return analyzeCost(plan, ps).flops;
}

struct RunReport {
  bool pass = false;
  std::string text;
  double ms = 0, tflops = 0;
};

/// Runs `kernel` once on fresh inputs (O and LSE poisoned with NaN first),
/// checks it against the emulation and the exact reference, then times it.
Expected<RunReport> runAndCheck(const Kernel &kernel, const ShapeArg &s, const std::string &kind,
                                uint64_t seed, int reps) {
  const KernelPlan &plan = kernel.plan();
  const Variant &var = plan.variant;
  auto prob = makeProblem(kernel, s, kind, seed);
  if (!prob)
    return prob.error();
  DeviceProblem &p = **prob;
  if (Status st = fillBytes(p.o, 0xFF); !st)
    return Error{st.message()};
  if (Status st = fillBytes(p.lse, 0xFF); !st)
    return Error{st.message()};
  if (Status st = kernel.launch(p.problem, p.tensors, p.workspace.data(), p.workspace.bytes(),
                                nullptr);
      !st)
    return Error{st.message()};
  if (Status st = synchronizeContext(); !st)
    return Error{st.message()};
  auto out = readOutput(p, var);
  if (!out)
    return out.error();

  std::string err;
  auto emu = emulate(plan, p.inputs, err);
  if (!emu)
    return Error{"emulation: " + err};
  ExactOptions eo;
  eo.scale = var.effectiveScale();
  eo.causal = var.mask == MaskKind::Causal;
  auto exact = exactAttention(p.inputs, eo, err);
  if (!exact)
    return Error{"exact reference: " + err};

  ErrorMetrics kVsEmu = compare(*out, emu->out.o);
  ErrorMetrics kVsExact = compare(*out, exact->o);
  ErrorMetrics emuVsExact = compare(emu->out.o, exact->o);
  ErrorMetrics emuLse = var.lse ? compare(emu->out.lse, exact->lse) : ErrorMetrics();
  KernelBounds bounds = deriveBounds(emuVsExact, emuLse, var.output);
  std::string failEmu = bounds.vsEmulation.check(kVsEmu);
  std::string failExact = bounds.vsExact.check(kVsExact);
  std::string failLse;
  if (var.lse) {
    std::vector<float> lse(p.shape.lseElems());
    if (Status st = p.lse.download(lse.data(), lse.size() * 4); !st)
      return Error{st.message()};
    double worst = 0;
    for (size_t i = 0; i < lse.size(); ++i) {
      const float a = lse[i], b = emu->out.lse[i];
      if (std::isinf(b) && a == b)
        continue;
      worst = std::max(worst, std::isfinite(a) ? double(std::fabs(a - b)) : INFINITY);
    }
    if (!(worst <= bounds.maxLseAbs))
      failLse = fmt::format("LSE max abs error {:.3g} > {:.3g}", worst, bounds.maxLseAbs);
  }

  RunReport r;
  r.pass = failEmu.empty() && failExact.empty() && failLse.empty();
  r.text += fmt::format("  kernel vs emulation: {}\n", kVsEmu.str());
  r.text += fmt::format("  kernel vs exact:     {}\n", kVsExact.str());
  r.text += fmt::format("  emulation vs exact:  {}\n", emuVsExact.str());
  r.text += fmt::format("  bounds: vs emulation {}; vs exact {}\n", bounds.vsEmulation.str(),
                        bounds.vsExact.str());
  for (const std::string &f : {failEmu, failExact, failLse})
    if (!f.empty())
      r.text += "  FAILED: " + f + "\n";
  if (reps > 0) {
    auto ms = medianMs(
        [&] {
          return kernel.launch(p.problem, p.tensors, p.workspace.data(), p.workspace.bytes(),
                               nullptr);
        },
        3, reps);
    if (!ms)
      return ms.error();
    r.ms = *ms;
    r.tflops = flopsOf(var, s) / (*ms * 1e-3) / 1e12;
    r.text += fmt::format("  time (end to end, median of {}): {:.3f} ms, {:.1f} TFLOPS\n", reps,
                          r.ms, r.tflops);
  }
  return r;
}

} // namespace

int cmdRun(int argc, char **argv) {
  auto args = Args::parse(argc, argv, {"variant", "target", "package", "shape", "inputs", "seed", "reps"},
                          {});
  if (!args)
    return usage(args.message());
  auto kernel = kernelFromArgs(*args);
  if (!kernel) {
    if (!currentDevice())
      return fmt::print(stderr, "attngen: run needs a GPU: {}\n", currentDevice().message()), kNoGpu;
    return fail(kernel.message());
  }
  if (auto dev = currentDevice(); !dev) {
    fmt::print(stderr, "attngen: run needs a GPU: {}\n", dev.message());
    return kNoGpu;
  }
  const Variant &var = (*kernel)->plan().variant;
  auto shape = parseShape(args->get("shape", "1,8,2048"), var.gqa);
  if (!shape)
    return usage(shape.message());
  auto seed = args->getInt("seed", 1);
  auto reps = args->getInt("reps", 20);
  if (!seed || !reps)
    return usage(!seed ? seed.message() : reps.message());
  auto name = deviceName();
  fmt::print("{} on {} ({}), shape B={} Hq={} Hkv={} Nq={} Nk={} D={}, {} inputs\n", var.name,
             name ? *name : "?", (*kernel)->plan().target.name(), shape->batch, shape->headsQ,
             shape->headsKv, shape->seqQ, shape->seqK, var.head_dim, args->get("inputs", "random"));
  auto r = runAndCheck(**kernel, *shape, args->get("inputs", "random"), uint64_t(*seed), int(*reps));
  if (!r)
    return fail(r.message());
  fmt::print("{}{}\n", r->text, r->pass ? "PASS" : "FAIL");
  return r->pass ? kOk : kFailed;
}

int cmdBench(int argc, char **argv) {
  auto args = Args::parse(argc, argv, {"variant", "target", "package", "shapes", "reps"}, {});
  if (!args)
    return usage(args.message());
  if (auto dev = currentDevice(); !dev) {
    fmt::print(stderr, "attngen: bench needs a GPU: {}\n", dev.message());
    return kNoGpu;
  }
  auto kernel = kernelFromArgs(*args);
  if (!kernel)
    return fail(kernel.message());
  const Variant &var = (*kernel)->plan().variant;
  auto reps = args->getInt("reps", 30);
  if (!reps)
    return usage(reps.message());
  fmt::print("| shape B,Hq,Hkv,Nq,Nk | D | ms end to end | TFLOPS |\n|---|---|---|---|\n");
  std::stringstream ss(args->get("shapes", "16,32,1024;4,32,4096;1,32,16384"));
  for (std::string item; std::getline(ss, item, ';');) {
    auto shape = parseShape(item, var.gqa);
    if (!shape)
      return usage(shape.message());
    auto prob = makeProblem(**kernel, *shape, "random", 7);
    if (!prob)
      return fail(prob.message());
    DeviceProblem &p = **prob;
    auto ms = medianMs(
        [&] {
          return (*kernel)->launch(p.problem, p.tensors, p.workspace.data(), p.workspace.bytes(),
                                   nullptr);
        },
        3, int(*reps));
    if (!ms)
      return fail(ms.message());
    fmt::print("| {},{},{},{},{} | {} | {:.3f} | {:.1f} |\n", shape->batch, shape->headsQ,
               shape->headsKv, shape->seqQ, shape->seqK, var.head_dim, *ms,
               flopsOf(var, *shape) / (*ms * 1e-3) / 1e12);
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
  fmt::print("== JIT: {:.0f} ms ({} NVRTC compile, {} disk-cache hit), key {}\n\n", ms,
             after.nvrtcCompiles - before.nvrtcCompiles, after.diskHits - before.diskHits,
             (*kernel)->cacheKey().substr(0, 16));

  if (!onGpu) {
    fmt::print("== no GPU on this machine: running the CPU emulation of the variant on a small "
               "shape instead\n");
    AttnShape s{1, 2 * v.gqa, 2, 256, 256, v.head_dim};
    AttnInputs in = activationLike(s, 1);
    std::string err;
    auto emu = emulate(*plan, in, err);
    if (!emu)
      return fail("emulation: " + err);
    ExactOptions eo;
    eo.scale = v.effectiveScale();
    eo.causal = v.mask == MaskKind::Causal;
    auto exact = exactAttention(in, eo, err);
    if (!exact)
      return fail("exact reference: " + err);
    fmt::print("  activation-like inputs B=1 Hq={} Hkv=2 N=256 D={}: emulation vs exact FP64: "
               "{}\n",
               s.headsQ, v.head_dim, compare(emu->out.o, exact->o).str());
    return kOk;
  }
  auto demoShape = parseShape("1,8,4096", v.gqa);
  int rc = kOk;
  for (const char *kind : {"random", "activation"}) {
    fmt::print("== run on the GPU against the CPU reference, {} inputs, B=1 H=8 N=4096\n", kind);
    auto r = runAndCheck(**kernel, *demoShape, kind, 1, 20);
    if (!r)
      return fail(r.message());
    fmt::print("{}{}\n\n", r->text, r->pass ? "PASS" : "FAIL");
    rc = r->pass ? rc : kFailed;
  }
  fmt::print("== speed at B={} H={} N={} D={}\n", shape->batch, shape->headsQ, shape->seqQ,
             v.head_dim);
  auto prob = makeProblem(**kernel, *shape, "random", 3);
  if (!prob)
    return fail(prob.message());
  DeviceProblem &p = **prob;
  auto t = medianMs(
      [&] {
        return (*kernel)->launch(p.problem, p.tensors, p.workspace.data(), p.workspace.bytes(),
                                 nullptr);
      },
      3, 20);
  if (!t)
    return fail(t.message());
  fmt::print("  end to end {:.3f} ms, {:.1f} TFLOPS\n", *t, flopsOf(v, *shape) / (*t * 1e-3) / 1e12);
  return rc;
}

} // namespace attngen::cli
