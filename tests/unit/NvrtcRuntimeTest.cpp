// NVRTC on this machine (no GPU needed): a tiny kernel over the embedded
// templates compiles to a cubin; a broken one reports the log and the source
// lines around each error; the JIT's caches count what they do.
#include "catch.h"

#include "RuntimeTestSupport.h"
#include "attngen/Codegen/EmitCuda.h"

#include "attngen/runtime/CudaApi.h"
#include "attngen/runtime/Jit.h"
#include "attngen/runtime/Nvrtc.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

using namespace attngen;

namespace {

const char *TinyKernel = R"(#include "attngen/kernel/params.h"
extern "C" __global__ void attngen_attention(const __grid_constant__ attngen::AttnParams p) {
  if (threadIdx.x == 0)
    static_cast<float *>(p.o)[blockIdx.x] = p.sm_scale;
}
)";

bool contains(const std::string &s, const std::string &needle) {
  return s.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("NVRTC compiles a kernel over the embedded templates to a cubin", "[nvrtc]") {
  auto api = nvrtcApi();
  REQUIRE(api); // NVRTC needs no GPU; it must load on every machine that builds attngen
  NvrtcOptions opts;
  opts.target = Target{90, true};
  auto out = compileCuda(TinyKernel, opts);
  INFO((out ? std::string() : out.message()));
  REQUIRE(out);
  REQUIRE(out->cubin.size() > 4);
  CHECK(out->cubin.compare(0, 4, "\x7f" "ELF") == 0);
  CHECK(contains(out->ptx, ".entry attngen_attention"));
  CHECK(contains(out->ptx, ".target sm_90a"));

  auto version = nvrtcVersionString();
  REQUIRE(version);
  CHECK(contains(*version, "nvrtc "));
  // major.minor alone would let a patch release's ptxas reuse older cubins.
  CHECK(contains(*version, " bytes)"));
}

TEST_CASE("NVRTC options keep IEEE math", "[nvrtc]") {
  NvrtcOptions opts;
  opts.target = Target{89, false};
  auto list = nvrtcOptionList(opts);
  CHECK(list[0] == "--gpu-architecture=sm_89");
  for (const auto &o : list)
    CHECK(!contains(o, "fast_math"));
  opts.lineInfo = true;
  CHECK(nvrtcOptionList(opts).back() == "-lineinfo");
}

TEST_CASE("an NVRTC error shows the log and the source around it", "[nvrtc]") {
  std::string source;
  for (int i = 1; i <= 20; ++i)
    source += i == 10 ? "int broken = undeclared_name;\n" : "// line " + std::to_string(i) + "\n";
  NvrtcOptions opts;
  opts.target = Target{90, true};
  auto out = compileCuda(source, opts, "gen.cu");
  REQUIRE(!out);
  const std::string &m = out.message();
  INFO(m);
  CHECK(contains(m, "gen.cu(10)"));
  CHECK(contains(m, "undeclared_name"));
  CHECK(contains(m, ">    10 | int broken = undeclared_name;"));
  CHECK(contains(m, "// line 7"));
  CHECK(contains(m, "// line 13"));
  CHECK(!contains(m, "// line 6\n"));
  CHECK(!contains(m, "// line 14"));
}

TEST_CASE("annotateNvrtcLog clamps at the ends of the source", "[nvrtc]") {
  std::string source = "a\nb\nc\n";
  std::string out = annotateNvrtcLog("k.cu(1): error: x\nother.h(2): error: y\n", source, "k.cu");
  CHECK(contains(out, ">     1 | a"));
  CHECK(contains(out, "      3 | c"));
  CHECK(contains(out, "other.h(2): error: y"));
  CHECK(!contains(out, ">     2 | b")); // lines of other files are not from this source
}

TEST_CASE("the JIT compiles once, then hits memory, then disk", "[nvrtc][jit]") {
  std::string dir = test::makeTempDir("jit");
  REQUIRE(!dir.empty());
  Runtime &rt = Runtime::instance();
  rt.setDiskCacheDirectory(dir);
  rt.clearMemoryCache();
  KernelPlan plan = test::defaultPlan();
  plan.kernels = {{KernelRole::Attention, "attngen_attention", 128, 0}};
  // A per-run comment makes the source (and key) new even if a cache survived.
  std::string source = std::string(TinyKernel) + "// " + dir + "\n";

  RuntimeStats s0 = rt.stats();
  auto k1 = rt.load(plan, source);
  INFO((k1 ? std::string() : k1.message()));
  REQUIRE(k1);
  RuntimeStats s1 = rt.stats();
  CHECK(s1.nvrtcCompiles == s0.nvrtcCompiles + 1);
  CHECK(s1.memoryMisses == s0.memoryMisses + 1);
  CHECK(s1.diskMisses == s0.diskMisses + 1);
  CHECK((*k1)->cubin().compare(0, 4, "\x7f" "ELF") == 0);

  auto k2 = rt.load(plan, source);
  REQUIRE(k2);
  RuntimeStats s2 = rt.stats();
  CHECK(k2->get() == k1->get());
  CHECK(s2.nvrtcCompiles == s1.nvrtcCompiles);
  CHECK(s2.memoryHits == s1.memoryHits + 1);

  rt.clearMemoryCache();
  auto k3 = rt.load(plan, source);
  REQUIRE(k3);
  RuntimeStats s3 = rt.stats();
  CHECK(s3.nvrtcCompiles == s2.nvrtcCompiles);
  CHECK(s3.diskHits == s2.diskHits + 1);
  CHECK((*k3)->cubin() == (*k1)->cubin());
  CHECK((*k3)->cacheKey() == (*k1)->cacheKey());

  // A different target is a different kernel.
  KernelPlan plan89 = plan;
  plan89.target = Target{89, false};
  auto k4 = rt.load(plan89, source);
  REQUIRE(k4);
  CHECK((*k4)->cacheKey() != (*k1)->cacheKey());
  CHECK(rt.stats().nvrtcCompiles == s3.nvrtcCompiles + 1);

  // Arguments are checked before the driver is touched.
  Problem bad{1, 1, 1, 0, 1};
  Status launched = (*k1)->launch(bad, Tensors(), nullptr, 0, nullptr);
  CHECK(!launched);
  CHECK(contains(launched.message(), "sequence lengths"));

  if (!driverApi()) {
    // No driver on this machine: loading the module is an error, not a crash.
    Status prepared = (*k1)->prepare();
    CHECK(!prepared);
    CHECK(contains(prepared.message(), "libcuda.so.1"));
  }

  rt.clearMemoryCache();
  rt.setDiskCacheDirectory(std::nullopt);
  test::removeTempDir(dir);
}

TEST_CASE("a kernel package that is missing is an error", "[jit]") {
  auto k = Runtime::instance().loadPackage("/nonexistent/package");
  REQUIRE(!k);
  CHECK(contains(k.message(), "not a kernel package"));
}

TEST_CASE("a kernel package whose source does not match its plan is refused", "[jit]") {
  std::string dir = test::makeTempDir("pkgmismatch");
  REQUIRE(!dir.empty());
  KernelPlan plan = test::defaultPlan();
  const std::string source = emitCuda(plan);
  std::ofstream(dir + "/plan.json") << toJson(plan);
  // One changed line in the middle of the source: the plan now describes
  // another kernel than the one that would be compiled.
  std::string edited = source;
  const size_t at = edited.find("kStages = ");
  REQUIRE(at != std::string::npos);
  edited.replace(at, 11, "kStages = 9");
  std::ofstream(dir + "/kernel.cu") << edited;
  auto k = Runtime::instance().loadPackage(dir);
  REQUIRE(!k);
  CHECK(contains(k.message(), "kernel.cu does not match its plan.json"));
  const int line = 1 + (int)std::count(source.begin(), source.begin() + at, '\n');
  CHECK(contains(k.message(), "line " + std::to_string(line)));
  test::removeTempDir(dir);
}

TEST_CASE("annotateNvrtcLog shows source only around errors", "[nvrtc]") {
  std::string out = annotateNvrtcLog("k.cu(2): warning #177-D: unused\n", "a\nb\nc\n", "k.cu");
  CHECK(out == "k.cu(2): warning #177-D: unused\n");
}

TEST_CASE("two plans over one source are two kernels sharing one cubin", "[nvrtc][jit]") {
  // A package whose plan.json was edited (another scale, another shared
  // memory size) must launch with its own plan, not the first one loaded.
  std::string dir = test::makeTempDir("jitplan");
  REQUIRE(!dir.empty());
  Runtime &rt = Runtime::instance();
  rt.setDiskCacheDirectory(dir);
  rt.clearMemoryCache();
  KernelPlan a = test::defaultPlan();
  a.kernels = {{KernelRole::Attention, "attngen_attention", 128, 0}};
  KernelPlan b = a;
  b.variant.scale = 0.25;
  b.kernels[0].smemBytes = 1024;
  std::string source = std::string(TinyKernel) + "// " + dir + "\n";

  auto ka = rt.load(a, source);
  INFO((ka ? std::string() : ka.message()));
  REQUIRE(ka);
  RuntimeStats s1 = rt.stats();
  auto kb = rt.load(b, source);
  REQUIRE(kb);
  CHECK(kb->get() != ka->get());
  CHECK((*kb)->plan().variant.scale == std::optional<double>(0.25));
  CHECK((*kb)->plan().kernels[0].smemBytes == 1024);
  CHECK(!(*ka)->plan().variant.scale);
  CHECK((*kb)->cubin() == (*ka)->cubin());
  CHECK((*kb)->cacheKey() == (*ka)->cacheKey());
  CHECK(rt.stats().nvrtcCompiles == s1.nvrtcCompiles); // the cubin came from disk

  auto again = rt.load(b, source);
  REQUIRE(again);
  CHECK(again->get() == kb->get());

  rt.clearMemoryCache();
  rt.setDiskCacheDirectory(std::nullopt);
  test::removeTempDir(dir);
}

TEST_CASE("a disk cache that cannot be written does not fail the JIT", "[nvrtc][jit]") {
  Runtime &rt = Runtime::instance();
  // /proc refuses new directories: the cache can neither be created nor locked.
  rt.setDiskCacheDirectory(std::string("/proc/attngen-no-cache"));
  rt.clearMemoryCache();
  KernelPlan plan = test::defaultPlan();
  plan.kernels = {{KernelRole::Attention, "attngen_attention", 128, 0}};
  RuntimeStats s0 = rt.stats();
  auto k = rt.load(plan, std::string(TinyKernel) + "// unwritable cache\n");
  INFO((k ? std::string() : k.message()));
  REQUIRE(k);
  CHECK((*k)->cubin().compare(0, 4, "\x7f" "ELF") == 0);
  CHECK(rt.stats().nvrtcCompiles == s0.nvrtcCompiles + 1);

  // A compile error is still reported as one.
  auto bad = rt.load(plan, "int broken = undeclared_name;\n");
  REQUIRE(!bad);
  CHECK(contains(bad.message(), "undeclared_name"));

  rt.clearMemoryCache();
  rt.setDiskCacheDirectory(std::nullopt);
}

#ifdef ATTNGEN_HAS_COMPILER
TEST_CASE("get() compiles again when line info is switched on", "[nvrtc][jit]") {
  // -lineinfo changes the cubin and its key: get()'s variant memo must not
  // hand back the kernel compiled without it.
  std::string dir = test::makeTempDir("jitline");
  REQUIRE(!dir.empty());
  Runtime &rt = Runtime::instance();
  rt.setDiskCacheDirectory(dir);
  rt.clearMemoryCache();
  Variant v;
  v.name = "lineinfo_probe";
  v.head_dim = 64;
  const Target sm80{80, false};
  auto plain = rt.get(v, sm80);
  INFO((plain ? std::string() : plain.message()));
  REQUIRE(plain);
  rt.setLineInfo(true);
  auto lined = rt.get(v, sm80);
  rt.setLineInfo(false);
  INFO((lined ? std::string() : lined.message()));
  REQUIRE(lined);
  CHECK((*lined)->cacheKey() != (*plain)->cacheKey());
  auto again = rt.get(v, sm80);
  REQUIRE(again);
  CHECK(again->get() == plain->get());

  rt.clearMemoryCache();
  rt.setDiskCacheDirectory(std::nullopt);
  test::removeTempDir(dir);
}
#endif

TEST_CASE("ATTNGEN_NVRTC_DEFINES reaches NVRTC and the cache key; a malformed one is refused",
          "[nvrtc][jit]") {
  const char *saved = std::getenv("ATTNGEN_NVRTC_DEFINES");
  const std::string savedValue = saved ? saved : "";
  Runtime &rt = Runtime::instance();
  rt.setDiskCacheDirectory(std::nullopt);
  rt.clearMemoryCache();
  KernelPlan plan = test::defaultPlan();
  plan.kernels = {{KernelRole::Attention, "attngen_attention", 128, 0}};
  const std::string source = R"(#include "attngen/kernel/params.h"
#ifndef AG_TEST_FACTOR
#define AG_TEST_FACTOR 1.0f
#endif
extern "C" __global__ void attngen_attention(const __grid_constant__ attngen::AttnParams p) {
  if (threadIdx.x == 0)
    static_cast<float *>(p.o)[blockIdx.x] = p.sm_scale * AG_TEST_FACTOR;
}
)";
  ::unsetenv("ATTNGEN_NVRTC_DEFINES");
  auto plain = rt.load(plan, source);
  REQUIRE(plain);
  ::setenv("ATTNGEN_NVRTC_DEFINES", " AG_TEST_FACTOR=3.0f  AG_UNUSED ", 1);
  RuntimeStats s0 = rt.stats();
  auto defined = rt.load(plan, source);
  INFO((defined ? std::string() : defined.message()));
  REQUIRE(defined);
  CHECK((*defined)->cacheKey() != (*plain)->cacheKey());
  CHECK((*defined)->cubin() != (*plain)->cubin()); // the macro changed the code
  CHECK(rt.stats().nvrtcCompiles == s0.nvrtcCompiles + 1);
  for (const char *bad : {"3X=1", "A-B", "=1", "A=1 B.c"}) {
    ::setenv("ATTNGEN_NVRTC_DEFINES", bad, 1);
    auto k = rt.load(plan, source);
    INFO(bad);
    REQUIRE(!k);
    CHECK(contains(k.message(), "ATTNGEN_NVRTC_DEFINES"));
  }
  if (saved)
    ::setenv("ATTNGEN_NVRTC_DEFINES", savedValue.c_str(), 1);
  else
    ::unsetenv("ATTNGEN_NVRTC_DEFINES");
  rt.clearMemoryCache();
}
