// Cache key sensitivity, the disk cache (round trip, corrupt and truncated
// entries, two processes at once) and the memory cache.
#include "catch.h"

#include "RuntimeTestSupport.h"

#include "attngen/runtime/CacheKey.h"
#include "attngen/runtime/DiskCache.h"
#include "attngen/runtime/MemoryCache.h"

#include <atomic>
#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace attngen;

namespace {

CacheKeyInputs baseInputs() {
  CacheKeyInputs in;
  in.source = "extern \"C\" __global__ void k() {}";
  in.bundleHash = "bundle-0123";
  in.target = "sm_90a";
  in.nvrtcVersion = "nvrtc 13.0";
  in.generatorVersion = "0.1.0-g1234";
  in.options = {"--gpu-architecture=sm_90a", "-std=c++17"};
  return in;
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeAll(const std::string &path, const std::string &data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

} // namespace

TEST_CASE("cache key changes when any input changes", "[cache]") {
  const std::string base = computeCacheKey(baseInputs());
  CHECK(base.size() == 64);
  CHECK(computeCacheKey(baseInputs()) == base); // deterministic

  auto differs = [&](void (*mutate)(CacheKeyInputs &)) {
    CacheKeyInputs in = baseInputs();
    mutate(in);
    return computeCacheKey(in) != base;
  };
  CHECK(differs([](CacheKeyInputs &in) { in.source += " "; }));
  CHECK(differs([](CacheKeyInputs &in) { in.bundleHash = "bundle-0124"; }));
  CHECK(differs([](CacheKeyInputs &in) { in.target = "sm_89"; }));
  CHECK(differs([](CacheKeyInputs &in) { in.nvrtcVersion = "nvrtc 13.1"; }));
  CHECK(differs([](CacheKeyInputs &in) { in.generatorVersion = "0.1.0-g1235"; }));
  CHECK(differs([](CacheKeyInputs &in) { in.options.push_back("-lineinfo"); }));
  CHECK(differs([](CacheKeyInputs &in) { std::swap(in.options[0], in.options[1]); }));
  // Bytes moved from one field to the next must not give the same key.
  CHECK(differs([](CacheKeyInputs &in) {
    in.bundleHash = in.source.back() + in.bundleHash;
    in.source.pop_back();
  }));
  CHECK(differs([](CacheKeyInputs &in) { in.options = {"--gpu-architecture=sm_90a-std=c++17"}; }));
}

TEST_CASE("disk cache round trip, ls and clear", "[cache][disk]") {
  std::string dir = test::makeTempDir("disk");
  REQUIRE(!dir.empty());
  DiskCache cache(dir + "/nested/cache"); // created on first store
  const std::string key = computeCacheKey(baseInputs());

  auto missing = cache.lookup(key);
  REQUIRE(missing);
  CHECK(!*missing);

  std::string payload("\x7f" "ELF binary\0with nul", 20);
  REQUIRE(cache.store(key, payload));
  auto found = cache.lookup(key);
  REQUIRE(found);
  REQUIRE(*found);
  CHECK(**found == payload);

  auto entries = cache.list();
  REQUIRE(entries);
  REQUIRE(entries->size() == 1);
  CHECK((*entries)[0].key == key);
  CHECK((*entries)[0].bytes == payload.size() + 56);

  REQUIRE(cache.clear());
  entries = cache.list();
  REQUIRE(entries);
  CHECK(entries->empty());
  found = cache.lookup(key);
  REQUIRE(found);
  CHECK(!*found);

  CHECK(!cache.lookup("../escape")); // keys never leave the directory
  test::removeTempDir(dir);
}

TEST_CASE("corrupt and truncated disk entries are removed and rebuilt", "[cache][disk]") {
  std::string dir = test::makeTempDir("corrupt");
  REQUIRE(!dir.empty());
  DiskCache cache(dir);
  const std::string key = "k1";
  const std::string payload(1000, 'p');
  int compiles = 0;
  auto compile = [&]() -> Expected<std::string> {
    ++compiles;
    return payload;
  };

  bool hit = true;
  auto first = cache.getOrCompile(key, compile, &hit);
  REQUIRE(first);
  CHECK(*first == payload);
  CHECK(!hit);
  CHECK(compiles == 1);
  auto again = cache.getOrCompile(key, compile, &hit);
  REQUIRE(again);
  CHECK(hit);
  CHECK(compiles == 1);

  const std::string path = cache.entryPath(key);
  const std::string good = readAll(path);
  REQUIRE(good.size() == payload.size() + 56);

  struct Damage {
    const char *what;
    std::string bytes;
  };
  std::string flipped = good;
  flipped[good.size() - 10] ^= 1; // payload byte: hash mismatch
  std::string badMagic = good;
  badMagic[0] = 'X';
  std::string badLength = good;
  badLength[16] ^= 4;
  const Damage damages[] = {
      {"payload byte flipped", flipped},
      {"truncated payload", good.substr(0, good.size() - 1)},
      {"truncated header", good.substr(0, 20)},
      {"empty file", ""},
      {"bad magic", badMagic},
      {"bad length", badLength},
  };
  for (const Damage &d : damages) {
    INFO(d.what);
    writeAll(path, d.bytes);
    auto looked = cache.lookup(key);
    REQUIRE(looked);
    CHECK(!*looked); // reported absent...
    struct stat st;
    CHECK(::stat(path.c_str(), &st) != 0); // ...and removed
    writeAll(path, d.bytes);
    int before = compiles;
    auto rebuilt = cache.getOrCompile(key, compile, &hit);
    REQUIRE(rebuilt);
    CHECK(*rebuilt == payload);
    CHECK(!hit);
    CHECK(compiles == before + 1);
    CHECK(readAll(path) == good);
  }
  test::removeTempDir(dir);
}

TEST_CASE("a failed compile stores nothing", "[cache][disk]") {
  std::string dir = test::makeTempDir("fail");
  DiskCache cache(dir);
  auto r = cache.getOrCompile("k2", []() -> Expected<std::string> { return Error{"boom"}; });
  REQUIRE(!r);
  CHECK(r.message() == "boom");
  auto entries = cache.list();
  REQUIRE(entries);
  CHECK(entries->empty());
  test::removeTempDir(dir);
}

TEST_CASE("two processes compiling the same key compile once", "[cache][disk]") {
  std::string dir = test::makeTempDir("procs");
  REQUIRE(!dir.empty());
  const std::string counter = dir + "/compiles.count";
  const std::string key = "concurrent";
  const std::string payload = "cubin-bytes";

  int gate[2];
  REQUIRE(::pipe(gate) == 0);
  pid_t children[2];
  for (pid_t &child : children) {
    child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // Child: wait for the gate so both race, compile through the cache, and
      // report through the exit status (_exit: a forked Catch2 must not run
      // the parent's atexit handlers).
      ::close(gate[1]);
      char c;
      [[maybe_unused]] ssize_t n = ::read(gate[0], &c, 1);
      DiskCache cache(dir);
      auto r = cache.getOrCompile(key, [&]() -> Expected<std::string> {
        int fd = ::open(counter.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        [[maybe_unused]] ssize_t w = ::write(fd, "x", 1);
        ::close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return payload;
      });
      ::_exit(r && *r == payload ? 0 : 1);
    }
  }
  ::close(gate[0]);
  ::close(gate[1]); // opens the gate for both children
  for (pid_t child : children) {
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(readAll(counter) == "x");
  auto found = DiskCache(dir).lookup(key);
  REQUIRE(found);
  REQUIRE(*found);
  CHECK(**found == payload);
  test::removeTempDir(dir);
}

TEST_CASE("disk cache directory follows the environment", "[cache][disk]") {
  const char *saved = std::getenv("ATTNGEN_CACHE_DIR");
  std::string savedValue = saved ? saved : "";
  ::setenv("ATTNGEN_CACHE_DIR", "/tmp/attngen-env-test", 1);
  auto d = DiskCache::defaultDirectory();
  REQUIRE(d);
  CHECK(*d == "/tmp/attngen-env-test");
  ::unsetenv("ATTNGEN_CACHE_DIR");
  const char *savedXdg = std::getenv("XDG_CACHE_HOME");
  std::string savedXdgValue = savedXdg ? savedXdg : "";
  ::setenv("XDG_CACHE_HOME", "/tmp/xdg", 1);
  d = DiskCache::defaultDirectory();
  REQUIRE(d);
  CHECK(*d == "/tmp/xdg/attngen");
  if (savedXdg)
    ::setenv("XDG_CACHE_HOME", savedXdgValue.c_str(), 1);
  else
    ::unsetenv("XDG_CACHE_HOME");
  if (saved)
    ::setenv("ATTNGEN_CACHE_DIR", savedValue.c_str(), 1);
}

TEST_CASE("memory cache builds each key once across threads", "[cache][memory]") {
  MemoryCache<int> cache;
  std::atomic<int> builds{0};
  auto build = [&]() -> Expected<std::shared_ptr<int>> {
    ++builds;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return std::make_shared<int>(42);
  };
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      auto v = cache.getOrBuild("k", build);
      if (v && **v == 42)
        ++ok;
    });
  for (auto &t : threads)
    t.join();
  CHECK(builds == 1);
  CHECK(ok == 8);

  bool hit = false;
  auto failed = cache.getOrBuild(
      "bad", []() -> Expected<std::shared_ptr<int>> { return Error{"nope"}; }, &hit);
  CHECK(!failed);
  CHECK(!hit);
  CHECK(cache.lookup("bad") == nullptr); // failures are not cached
  CHECK(cache.size() == 1);
}

TEST_CASE("memory cache: a builder that throws does not leave its key locked", "[cache][memory]") {
  // Leaked on purpose: if the key stayed locked, the waiting thread below
  // would block on this cache forever.
  auto *cache = new MemoryCache<int>();
  bool threw = false;
  try {
    (void)cache->getOrBuild("k", []() -> Expected<std::shared_ptr<int>> {
      throw std::runtime_error("out of memory");
    });
  } catch (const std::runtime_error &) {
    threw = true;
  }
  CHECK(threw);
  auto done = std::make_shared<std::atomic<int>>(0);
  std::thread([cache, done] {
    auto v = cache->getOrBuild("k", [] { return Expected<std::shared_ptr<int>>(std::make_shared<int>(7)); });
    *done = v && **v == 7 ? 1 : 2;
  }).detach();
  for (int i = 0; i < 200 && *done == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(*done == 1);
}
