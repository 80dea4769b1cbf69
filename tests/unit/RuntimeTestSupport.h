// Helpers shared by the runtime's unit tests: plans built by hand (no
// compiler needed) and scratch directories.
#ifndef ATTNGEN_TESTS_RUNTIMETESTSUPPORT_H
#define ATTNGEN_TESTS_RUNTIMETESTSUPPORT_H

#include "attngen/Spec/Plan.h"

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
