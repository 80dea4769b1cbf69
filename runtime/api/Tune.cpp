//===- Tune.cpp - Measure the tuning candidates of a plan on the GPU ------===//
#include "attngen/runtime/Tune.h"

#include "attngen/Codegen/EmitCuda.h"
#include "attngen/runtime/Check.h"
#include "attngen/runtime/DeviceMemory.h"
#include "attngen/runtime/Jit.h"

#include <fmt/format.h>

#include <algorithm>

namespace attngen {

namespace {

ref::AttnShape toRef(const ShapeHint &s, int headDim) {
  return {int(s.batch), int(s.headsQ), int(s.headsKv), int(s.seqQ), int(s.seqK), headDim};
}

/// The first FAILED line of a check report (the reason in one line).
std::string firstFailure(const std::string &text) {
  size_t at = text.find("FAILED: ");
  if (at == std::string::npos)
    return "failed the reference check";
  size_t end = text.find('\n', at);
  return text.substr(at + 8, end == std::string::npos ? end : end - at - 8);
}

/// Runs `kernel` once against the reference on `shape`; "" when it passes.
Expected<std::string> check(const Kernel &kernel, const ShapeHint &shape, InputKind kind,
                            uint64_t seed) {
  auto p = makeDeviceProblem(kernel, toRef(shape, kernel.plan().variant.head_dim), kind, seed);
  if (!p)
    return p.error();
  auto r = checkAgainstReference(kernel, **p);
  if (!r)
    return r.error();
  return r->pass ? std::string() : firstFailure(r->text);
}

} // namespace

ShapeHint verifyShapeFor(const ShapeHint &s, int gqa) {
  constexpr long long kCap = 1000;
  ShapeHint v{1, 2LL * gqa, 2, std::min(s.seqQ, kCap), std::min(s.seqK, kCap)};
  // Keep Nk - Nq (the causal diagonal's offset) when both fit under the cap.
  if (s.seqK > s.seqQ && s.seqK - s.seqQ < kCap)
    v.seqQ = std::max(1LL, v.seqK - (s.seqK - s.seqQ));
  else if (s.seqQ > s.seqK && s.seqQ - s.seqK < kCap)
    v.seqK = std::max(1LL, v.seqQ - (s.seqQ - s.seqK));
  return v;
}

Expected<TuneOutcome> tuneShape(const KernelPlan &base, const ShapeHint &shape,
                                const TuneOptions &o) {
  auto say = [&](const std::string &line) {
    if (o.progress)
      o.progress(line);
  };
  const Variant &var = base.variant;
  TuneOutcome out;
  TuningEntry &e = out.entry;
  e.variant = tuningVariantKey(var);
  e.arch = base.target.name();
  e.bucket = shapeBucket(shape);
  e.shape = shape;
  e.generator = tuningGeneratorVersion();
  auto name = deviceName();
  if (!name)
    return name.error();
  e.device = *name;
  const ShapeHint vshape = o.verifyShape ? *o.verifyShape : verifyShapeFor(shape, var.gqa);

  out.candidates = tuningCandidates(base, shape);
  const int total = int(out.candidates.size());
  Runtime &rt = Runtime::instance();
  // The timed problem: one upload of the inputs, a workspace per candidate
  // (its size depends on the tiles and the chunk).
  std::unique_ptr<DeviceProblem> timed;
  std::vector<std::shared_ptr<Kernel>> kernels(out.candidates.size());
  for (int i = 0; i < total; ++i) {
    const Candidate &c = out.candidates[i];
    CandidateResult r;
    r.config = c.config;
    const std::string tag = fmt::format("[{}/{}] {}", i + 1, total, toString(c.config));
    if (c.pruned) {
      r.status = "pruned: " + c.reason;
      say(fmt::format("{}: {}", tag, r.status));
      e.candidates.push_back(r);
      continue;
    }
    KernelPlan plan = applyConfig(base, c.config);
    auto kernel = rt.load(plan, emitCuda(plan));
    if (!kernel) {
      r.status = "failed: " + kernel.message().substr(0, 200);
      say(fmt::format("{}: {}", tag, r.status));
      e.candidates.push_back(r);
      continue;
    }
    auto bad = check(**kernel, vshape, InputKind::Random, o.seed);
    if (!bad || !bad->empty()) {
      r.status = !bad ? "failed: " + bad.message().substr(0, 200) : "incorrect: " + *bad;
      say(fmt::format("{}: {}", tag, r.status));
      e.candidates.push_back(r);
      continue;
    }
    if (!timed) {
      auto p = makeDeviceProblem(**kernel, toRef(shape, var.head_dim), InputKind::Random, o.seed);
      if (!p)
        return p.error();
      timed = std::move(*p);
    }
    auto ws = DeviceBuffer::allocate((*kernel)->workspaceBytes(timed->problem));
    if (!ws)
      return ws.error();
    auto ms = medianMs(
        [&] {
          return (*kernel)->launch(timed->problem, timed->tensors, ws->data(), ws->bytes(),
                                   nullptr);
        },
        o.warmup, o.reps);
    if (!ms) {
      r.status = "failed: " + ms.message().substr(0, 200);
    } else {
      r.ms = *ms;
      r.status = "ok";
      kernels[i] = *kernel;
    }
    say(fmt::format("{}: {}{}", tag, r.status,
                    ms ? fmt::format(" {:.4f} ms, {:.1f} TFLOPS", *ms,
                                     attentionFlops(var, toRef(shape, var.head_dim)) /
                                         (*ms * 1e-3) / 1e12)
                       : ""));
    e.candidates.push_back(r);
  }

  // The fastest correct candidate, re-verified on other inputs before it is
  // stored; one that fails is marked and the next fastest is tried.
  std::vector<int> order;
  for (int i = 0; i < total; ++i)
    if (e.candidates[i].status == "ok")
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return e.candidates[a].ms < e.candidates[b].ms; });
  for (int i : order) {
    auto bad = check(*kernels[i], vshape, InputKind::ActivationLike, o.seed + 1000);
    if (bad && bad->empty()) {
      e.config = e.candidates[i].config;
      e.ms = e.candidates[i].ms;
      out.found = true;
      say(fmt::format("chosen {} ({:.4f} ms), re-verified on activation-like inputs",
                      toString(e.config), e.ms));
      break;
    }
    e.candidates[i].status =
        "incorrect on re-verification: " + (bad ? *bad : bad.message().substr(0, 200));
    say(fmt::format("{}: {}", toString(e.candidates[i].config), e.candidates[i].status));
  }
  return out;
}

TunedKernels::TunedKernels(std::shared_ptr<Kernel> base, std::string dbPath)
    : base(std::move(base)), dbPath(std::move(dbPath)) {}

const TuningDb &TunedKernels::database() const {
  if (!db) {
    db = TuningDb::load(dbPath);
    notes = db->warnings();
  }
  return *db;
}

std::vector<std::string> TunedKernels::warnings() const {
  std::lock_guard<std::mutex> lock(mutex);
  database();
  return notes;
}

std::optional<TuningEntry> TunedKernels::entryFor(const Problem &p) const {
  std::lock_guard<std::mutex> lock(mutex);
  const KernelPlan &plan = base->plan();
  std::vector<std::string> found;
  const TuningEntry *e =
      database().lookup(plan.variant, plan.target, plan.mainloop,
                        ShapeHint{p.batch, p.heads_q, p.heads_kv, p.seq_q, p.seq_k}, found);
  for (std::string &w : found) // an illegal entry is reported once
    if (std::find(notes.begin(), notes.end(), w) == notes.end())
      notes.push_back(std::move(w));
  return e ? std::optional<TuningEntry>(*e) : std::nullopt;
}

std::optional<TuneConfig> TunedKernels::configFor(const Problem &p) const {
  const std::optional<TuningEntry> e = entryFor(p);
  const KernelPlan &plan = base->plan();
  if (!e || e->config == TuneConfig{plan.tiles, plan.kvChunk})
    return std::nullopt;
  return e->config;
}

Expected<std::shared_ptr<Kernel>> TunedKernels::forProblem(const Problem &p) const {
  const std::optional<TuneConfig> config = configFor(p);
  if (!config)
    return base;
  const std::string name = toString(*config);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = byConfig.find(name); it != byConfig.end())
      return it->second;
  }
  // Compiled outside the lock (NVRTC takes seconds); a race compiles twice and
  // the caches make the second one a hit.
  const KernelPlan plan = applyConfig(base->plan(), *config);
  auto kernel = Runtime::instance().load(plan, emitCuda(plan));
  if (!kernel)
    return Error{fmt::format("the tiles {} of tuning database {} for {}: {}", name, dbPath,
                             base->plan().variant.name, kernel.message())};
  std::lock_guard<std::mutex> lock(mutex);
  return byConfig.emplace(name, *kernel).first->second;
}

} // namespace attngen
