//===- VariantTest.cpp - Every variant on the GPU against its emulation ---===//
//
// Kernels come from $ATTNGEN_PACKAGES (kernel packages emitted by a full
// build: how the MLIR-free build on the lent GPU gets them) or, in a build
// with the compiler, from the JIT over examples/*.attn and bench/variants.attn.
// Each runs on fresh inputs with O and LSE poisoned by NaN, and is checked
// against the emulation of its variant and the exact reference with the
// tolerances the emulation implies (runtime/Check.h).
//
//===----------------------------------------------------------------------===//

#include "catch.h"

#include "attngen/Frontend/Parser.h"
#include "attngen/runtime/Check.h"
#include "attngen/runtime/Jit.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

using namespace attngen;
namespace fs = std::filesystem;

namespace {

struct NamedKernel {
  std::string name;
  std::shared_ptr<Kernel> kernel;
};

std::vector<NamedKernel> loadKernels() {
  std::vector<NamedKernel> out;
  Runtime &rt = Runtime::instance();
  if (const char *pk = std::getenv("ATTNGEN_PACKAGES")) {
    std::vector<fs::path> dirs;
    for (const auto &e : fs::directory_iterator(pk))
      if (fs::exists(e.path() / "plan.json"))
        dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    for (const fs::path &d : dirs) {
      auto k = rt.loadPackage(d.string());
      INFO("package " << d.string() << ": " << (k ? "" : k.message()));
      REQUIRE(k.isOk());
      out.push_back({d.filename().string(), *k});
    }
    return out;
  }
#ifdef ATTNGEN_HAS_COMPILER
  const char *src = std::getenv("ATTNGEN_SOURCE_DIR");
  REQUIRE(src != nullptr);
  auto target = rt.detectTarget();
  REQUIRE(target.isOk());
  std::vector<fs::path> files = {fs::path(src) / "bench/variants.attn"};
  for (const auto &e : fs::directory_iterator(fs::path(src) / "examples"))
    if (e.path().extension() == ".attn")
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path &f : files) {
    ParseResult r = parseVariantFile(f.string());
    REQUIRE(r.ok());
    for (const Variant &v : r.variants) {
      auto k = rt.get(v, *target);
      if (!k) {
        // Variants this GPU cannot run (e.g. a sm_89-only file on sm_90a)
        // are refused by the compiler with a reason; say which.
        std::cout << "not on " << target->name() << ": " << v.name << ": " << k.message() << "\n";
        continue;
      }
      out.push_back({v.name, *k});
    }
  }
#endif
  return out;
}

const std::vector<NamedKernel> &kernels() {
  static const std::vector<NamedKernel> all = loadKernels();
  return all;
}

void checkShape(const NamedKernel &nk, ref::AttnShape shape, InputKind kind, uint64_t seed) {
  const Variant &v = nk.kernel->plan().variant;
  shape.headDim = v.head_dim;
  shape.headsQ = shape.headsKv * v.gqa;
  auto prob = makeDeviceProblem(*nk.kernel, shape, kind, seed);
  INFO(nk.name << " B=" << shape.batch << " Hq=" << shape.headsQ << " Hkv=" << shape.headsKv
               << " Nq=" << shape.seqQ << " Nk=" << shape.seqK << " D=" << shape.headDim);
  REQUIRE(prob.isOk());
  auto r = checkAgainstReference(*nk.kernel, **prob);
  INFO((r ? r->text : r.message()));
  REQUIRE(r.isOk());
  std::cout << nk.name << " B=" << shape.batch << " Hq=" << shape.headsQ << " Nq=" << shape.seqQ
            << " Nk=" << shape.seqK << (kind == InputKind::Random ? " random" : " activation")
            << (r->pass ? " PASS\n" : " FAIL\n")
            << r->text;
  CHECK(r->pass);
  CHECK(r->kernelVsExact.nonFinite == 0);
}

} // namespace

TEST_CASE("kernels are available", "[gpu]") { REQUIRE(!kernels().empty()); }

TEST_CASE("every variant matches its emulation on small and odd shapes", "[gpu]") {
  for (const NamedKernel &nk : kernels()) {
    checkShape(nk, {1, 0, 2, 512, 512, 0}, InputKind::Random, 11);
    checkShape(nk, {2, 0, 1, 1000, 1000, 0}, InputKind::Random, 12); // odd N
    checkShape(nk, {1, 0, 1, 300, 1000, 0}, InputKind::Random, 13);  // Nq < Nk
    checkShape(nk, {1, 0, 1, 1000, 300, 0}, InputKind::Random, 14);  // Nq > Nk: masked rows
  }
}

TEST_CASE("every variant at N=4k: cosine >= 0.9995 against FP32 on random normal", "[gpu]") {
  for (const NamedKernel &nk : kernels()) {
    const Variant &v = nk.kernel->plan().variant;
    if (v.qk == DType::I4)
      continue; // INT4 QK is a coarser recipe: checked against its emulation above
    ref::AttnShape shape{1, 2 * v.gqa, 2, 4096, 4096, v.head_dim};
    auto prob = makeDeviceProblem(*nk.kernel, shape, InputKind::Random, 21);
    REQUIRE(prob.isOk());
    auto r = checkAgainstReference(*nk.kernel, **prob);
    REQUIRE(r.isOk());
    INFO(nk.name << "\n" << r->text);
    std::cout << nk.name << " N=4096 random: " << r->kernelVsExact.str() << "\n";
    CHECK(r->pass);
    CHECK(r->kernelVsExact.cosine >= 0.9995);
  }
}

TEST_CASE("the default variant on activation-like inputs", "[gpu]") {
  for (const NamedKernel &nk : kernels()) {
    if (nk.name != "default" && nk.name != "int8_fp8_d128")
      continue;
    const Variant &v = nk.kernel->plan().variant;
    ref::AttnShape shape{1, 8 * v.gqa, 8, 4096, 4096, v.head_dim};
    auto prob = makeDeviceProblem(*nk.kernel, shape, InputKind::ActivationLike, 31);
    REQUIRE(prob.isOk());
    auto r = checkAgainstReference(*nk.kernel, **prob);
    REQUIRE(r.isOk());
    INFO(nk.name << "\n" << r->text);
    std::cout << nk.name << " N=4096 activation-like: " << r->kernelVsExact.str() << "\n";
    CHECK(r->pass);
    CHECK(r->kernelVsExact.relL1 <= 0.02);
    CHECK(r->kernelVsExact.cosine >= 0.999);
    CHECK(r->kernelVsExact.nonFinite == 0);
  }
}
