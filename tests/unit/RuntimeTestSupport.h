// Helpers shared by the runtime's unit tests: plans built by hand (no
// compiler needed) and scratch directories.
#ifndef ATTNGEN_TESTS_RUNTIMETESTSUPPORT_H
#define ATTNGEN_TESTS_RUNTIMETESTSUPPORT_H

#include "attngen/Spec/Plan.h"
#include "attngen/runtime/Launch.h"
#include "attngen/runtime/Problem.h"
#include "attngen/runtime/Workspace.h"

#include <cstdlib>
#include <string>
#include <unistd.h>

namespace attngen::test {

/// An sm_90a int8/fp8 plan with the three kernels of the default variant.
inline KernelPlan defaultPlan() {
  KernelPlan plan;
  plan.variant = Variant();
  plan.variant.pv = DType::E4M3; // the int8/fp8 recipe (tests name it "default int8/fp8")
  plan.target = Target{90, true};
  plan.mainloop = Mainloop::Wgmma;
  plan.tiles = Tiles{128, 128, 12, 2};
  plan.kvChunk = 1024;
  plan.kernels = {{KernelRole::KVStats, "attngen_kv_stats", 256, 0},
                  {KernelRole::QuantKV, "attngen_quant_kv", 256, 0},
                  {KernelRole::Attention, "attngen_attention", 384, 82944}};
  return plan;
}

/// Q, K, V, O of `p` (bhnd, dense) at fake device addresses: launch
/// validation never dereferences them.
inline Tensors fakeTensors(const Problem &p, int headDim) {
  Tensors t;
  t.q = reinterpret_cast<void *>(uintptr_t(0x100000));
  t.k = reinterpret_cast<void *>(uintptr_t(0x200000));
  t.v = reinterpret_cast<void *>(uintptr_t(0x300000));
  t.o = reinterpret_cast<void *>(uintptr_t(0x400000));
  denseStrides(t.q_stride, false, p.heads_q, p.seq_q, headDim);
  denseStrides(t.k_stride, false, p.heads_kv, p.seq_k, headDim);
  denseStrides(t.v_stride, false, p.heads_kv, p.seq_k, headDim);
  denseStrides(t.o_stride, false, p.heads_q, p.seq_q, headDim);
  return t;
}

/// A fake workspace address (aligned) to go with fakeTensors.
inline void *fakeWorkspace() { return reinterpret_cast<void *>(uintptr_t(0x1000000)); }

/// A launch-validation case: a plan built by hand, a problem, its fake tensors
/// and a fake workspace of the plan's size. `plan` may change afterwards (the
/// workspace does not depend on the bias).
struct LaunchCase {
  KernelPlan plan;
  Problem problem;
  Tensors tensors;
  void *ws = fakeWorkspace();
  size_t wsBytes = 0;
  LaunchCase(KernelPlan p, Problem pr)
      : plan(std::move(p)), problem(pr), tensors(fakeTensors(pr, plan.variant.head_dim)),
        wsBytes(computeWorkspace(plan, problem)->totalBytes) {}
  Status check(const Tensors &t) const { return validateLaunch(plan, problem, t, ws, wsBytes); }
  Expected<AttnParams> params(const Tensors &t) const {
    return buildParams(plan, problem, t, ws, wsBytes);
  }
};

/// A fresh empty directory under $TMPDIR (or /tmp).
inline std::string makeTempDir(const char *tag) {
  const char *base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/attngen-" + tag + "-XXXXXX";
  char *made = ::mkdtemp(pattern.data());
  return made ? std::string(made) : std::string();
}

/// Removes a directory made by makeTempDir and its plain files.
inline void removeTempDir(const std::string &dir) {
  if (dir.empty())
    return;
  std::string cmd = "rm -rf '" + dir + "'";
  [[maybe_unused]] int rc = std::system(cmd.c_str());
}

} // namespace attngen::test

#endif
