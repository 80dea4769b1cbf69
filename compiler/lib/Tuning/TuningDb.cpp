//===- TuningDb.cpp - The persistent tuning database ----------------------===//
//
// The file is small (one entry per tuned variant, arch and bucket), so every
// write rewrites it whole: lock, re-read, merge, write a temporary, rename.
// The reader is a strict little JSON parser; anything it cannot map onto an
// entry drops that entry (or, for bad JSON, the whole file) with a warning.
//
//===----------------------------------------------------------------------===//
#include "attngen/Tuning/TuningDb.h"
#include "attngen/Spec/Json.h"

#include "attngen/Codegen/EmitCuda.h"
#include "attngen/Frontend/Printer.h"
#include "attngen/runtime/TemplateBundle.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace attngen {

namespace {

constexpr std::string_view kFormat = "attngen-tuning";
/// Bumped when the schema changes; a reader drops a file of another version.
constexpr int kSchemaVersion = 1;

using json::quote;

/// Shortest text that reads back to the same double (the checksum hashes it,
/// so a write / read round trip must not change a digit).
std::string number(double d) { return json::formatDouble(d); }

std::string configJson(const TuneConfig &c) {
  return fmt::format("{{\"block_m\": {}, \"block_n\": {}, \"warps\": {}, \"stages\": {}, "
                     "\"kv_chunk\": {}}}",
                     c.tiles.blockM, c.tiles.blockN, c.tiles.warps, c.tiles.stages, c.kvChunk);
}

std::string entryJson(const TuningEntry &e) {
  std::string o = "    {\n";
  o += fmt::format("      \"variant\": {},\n", quote(e.variant));
  o += fmt::format("      \"arch\": {},\n", quote(e.arch));
  o += fmt::format("      \"bucket\": {},\n", quote(e.bucket));
  o += fmt::format("      \"shape\": [{}, {}, {}, {}, {}],\n", e.shape.batch, e.shape.headsQ,
                   e.shape.headsKv, e.shape.seqQ, e.shape.seqK);
  o += fmt::format("      \"config\": {},\n", configJson(e.config));
  o += fmt::format("      \"ms\": {},\n", number(e.ms));
  o += fmt::format("      \"device\": {},\n", quote(e.device));
  o += "      \"candidates\": [";
  for (size_t i = 0; i < e.candidates.size(); ++i) {
    const CandidateResult &c = e.candidates[i];
    o += fmt::format("{}\n        {{\"config\": {}, \"ms\": {}, \"status\": {}}}", i ? "," : "",
                     configJson(c.config), number(c.ms), quote(c.status));
  }
  o += e.candidates.empty() ? "],\n" : "\n      ],\n";
  o += fmt::format("      \"generator\": {},\n", quote(e.generator));
  o += fmt::format("      \"checksum\": {}\n", quote(e.checksum));
  return o + "    }";
}

/// Maps a JSON object onto a struct: every expected key once, nothing else.
class Fields {
public:
  Fields(const json::Value &j, std::string what, std::string &error)
      : j(j), what(std::move(what)), error(error) {
    if (j.kind != json::Value::Object)
      bad("is not an object");
  }
  bool ok() const { return error.empty(); }
  void bad(const std::string &msg) {
    if (error.empty())
      error = what + " " + msg;
  }
  const json::Value *need(std::string_view key, json::Value::Kind kind) {
    used.push_back(std::string(key));
    const json::Value *v = ok() ? j.get(key) : nullptr;
    if (ok() && !v)
      bad(fmt::format("lacks '{}'", key));
    else if (v && v->kind != kind)
      bad(fmt::format("has a '{}' of the wrong type", key)), v = nullptr;
    return ok() ? v : nullptr;
  }
  void str(std::string_view key, std::string &out) {
    if (const json::Value *v = need(key, json::Value::String))
      out = v->text;
  }
  void num(std::string_view key, double &out) {
    if (const json::Value *v = need(key, json::Value::Number)) {
      if (std::optional<double> d = v->number())
        out = *d;
      else
        bad(fmt::format("has a '{}' out of range", key));
    }
  }
  template <typename Int> void integer(std::string_view key, Int &out) {
    double d = 0;
    num(key, d);
    if (ok() && (d != std::floor(d) || std::fabs(d) > 9e15))
      bad(fmt::format("has a non-integer '{}'", key));
    out = Int(d);
  }
  void finish() {
    for (size_t i = 0; i < j.keys.size(); ++i) {
      if (ok() && std::find(used.begin(), used.end(), j.keys[i]) == used.end())
        bad(fmt::format("has an unknown key '{}'", j.keys[i]));
      for (size_t k = 0; ok() && k < i; ++k)
        if (j.keys[k] == j.keys[i])
          bad(fmt::format("has a duplicate key '{}'", j.keys[i]));
    }
  }

private:
  const json::Value &j;
  std::string what;
  std::string &error;
  std::vector<std::string> used;
};

bool readConfig(const json::Value &j, TuneConfig &c, std::string &error) {
  Fields f(j, "config", error);
  f.integer("block_m", c.tiles.blockM);
  f.integer("block_n", c.tiles.blockN);
  f.integer("warps", c.tiles.warps);
  f.integer("stages", c.tiles.stages);
  f.integer("kv_chunk", c.kvChunk);
  f.finish();
  return f.ok();
}

bool readEntry(const json::Value &j, TuningEntry &e, std::string &error) {
  Fields f(j, "entry", error);
  f.str("variant", e.variant);
  f.str("arch", e.arch);
  f.str("bucket", e.bucket);
  if (const json::Value *s = f.need("shape", json::Value::Array)) {
    long long *dims[] = {&e.shape.batch, &e.shape.headsQ, &e.shape.headsKv, &e.shape.seqQ,
                         &e.shape.seqK};
    if (s->items.size() != 5)
      f.bad("has a shape that is not 5 numbers");
    for (size_t i = 0; f.ok() && i < 5; ++i) {
      std::optional<double> d = s->items[i].number();
      if (!d || *d < 1 || *d != std::floor(*d) || *d > 9e15)
        f.bad("has a shape that is not 5 positive integers");
      *dims[i] = d ? (long long)*d : 0;
    }
  }
  if (const json::Value *c = f.need("config", json::Value::Object))
    if (!readConfig(*c, e.config, error))
      return false;
  f.num("ms", e.ms);
  f.str("device", e.device);
  if (const json::Value *cs = f.need("candidates", json::Value::Array))
    for (const json::Value &item : cs->items) {
      CandidateResult r;
      Fields cf(item, "candidate", error);
      if (const json::Value *c = cf.need("config", json::Value::Object))
        if (!readConfig(*c, r.config, error))
          return false;
      cf.num("ms", r.ms);
      cf.str("status", r.status);
      cf.finish();
      if (!cf.ok())
        return false;
      e.candidates.push_back(std::move(r));
    }
  f.str("generator", e.generator);
  f.str("checksum", e.checksum);
  f.finish();
  return f.ok();
}

/// log2 of a power of two.
int log2Of(long long p) {
  int l = 0;
  while ((1LL << l) < p)
    ++l;
  return l;
}

long long roundUpPow2(long long n) {
  long long p = 64;
  while (p < n)
    p *= 2;
  return p;
}

/// (nq, nk) of a bucket "nq<a>.nk<b>"; nullopt for anything else.
std::optional<std::pair<long long, long long>> parseBucket(const std::string &b) {
  long long nq = 0, nk = 0;
  if (std::sscanf(b.c_str(), "nq%lld.nk%lld", &nq, &nk) != 2 || nq < 1 || nk < 1)
    return std::nullopt;
  return std::make_pair(nq, nk);
}

bool sameKey(const TuningEntry &a, const TuningEntry &b) {
  return a.variant == b.variant && a.arch == b.arch && a.bucket == b.bucket;
}

} // namespace

std::string tuningVariantKey(const Variant &v) {
  Variant named = v;
  named.name = "tuned";
  std::string text = printVariant(named), out;
  // One line: the printed form puts one key per line.
  const size_t open = text.find('{'), close = text.rfind('}');
  std::istringstream lines(text.substr(open + 1, close - open - 1));
  for (std::string line; std::getline(lines, line);) {
    size_t a = line.find_first_not_of(" \t"), hash = line.find('#');
    if (a == std::string::npos || a == hash)
      continue;
    line = line.substr(a, hash == std::string::npos ? hash : hash - a);
    line.erase(line.find_last_not_of(" \t") + 1);
    out += (out.empty() ? "" : " ") + line;
  }
  return out;
}

std::string shapeBucket(const ShapeHint &s) {
  return fmt::format("nq{}.nk{}", roundUpPow2(s.seqQ), roundUpPow2(s.seqK));
}

std::string tuningGeneratorVersion() {
  return fmt::format("{}+templates.{}", generatorVersion(),
                     std::string_view(templateBundleHash()).substr(0, 16));
}

std::optional<std::string> defaultTuningDbPath() {
  if (const char *p = std::getenv("ATTNGEN_TUNING_DB"); p && *p)
    return std::string(p);
  // Beside the kernel cache (runtime/DiskCache.h's defaultDirectory order).
  if (const char *d = std::getenv("ATTNGEN_CACHE_DIR"); d && *d)
    return std::string(d) + "/tuning.json";
  if (const char *d = std::getenv("XDG_CACHE_HOME"); d && *d)
    return std::string(d) + "/attngen/tuning.json";
  if (const char *d = std::getenv("HOME"); d && *d)
    return std::string(d) + "/.cache/attngen/tuning.json";
  return std::nullopt;
}

std::string entryChecksum(const TuningEntry &e) {
  std::string text = e.variant + '\n' + e.arch + '\n' + e.bucket + '\n' + toString(e.shape) +
                     '\n' + toString(e.config) + '\n' + number(e.ms) + '\n' + e.device + '\n';
  for (const CandidateResult &c : e.candidates)
    text += toString(c.config) + ' ' + number(c.ms) + ' ' + c.status + '\n';
  text += e.generator;
  uint64_t h = 1469598103934665603ULL; // FNV-1a 64: a corruption check, not a signature
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("fnv1a64:{:016x}", h);
}

TuningDb TuningDb::parse(const std::string &text, const std::string &generator,
                         const std::string &origin) {
  TuningDb db;
  db.generator = generator;
  std::string error;
  json::ParseError perr;
  std::optional<json::Value> doc = json::parse(text, perr);
  if (!doc)
    error = fmt::format("bad JSON at byte {}: {}", perr.offset, perr.message);
  const json::Value *format = doc ? doc->get("format") : nullptr;
  const json::Value *version = doc ? doc->get("version") : nullptr;
  const json::Value *entries = doc ? doc->get("entries") : nullptr;
  if (doc && (doc->kind != json::Value::Object || !format || format->text != kFormat ||
              !version || version->number() != std::optional<double>(kSchemaVersion) ||
              !entries || entries->kind != json::Value::Array))
    error = fmt::format("not an {} file of schema version {}", kFormat, kSchemaVersion);
  if (!error.empty()) {
    db.notes.push_back(fmt::format("{}: ignored (corrupt: {}); every bucket will be re-tuned",
                                   origin, error));
    return db;
  }
  for (size_t i = 0; i < entries->items.size(); ++i) {
    TuningEntry e;
    std::string why;
    if (!readEntry(entries->items[i], e, why))
      why = "corrupt: " + why;
    else if (e.checksum != entryChecksum(e))
      why = "corrupt: bad checksum";
    else if (e.generator != generator)
      why = fmt::format("stale: tuned by generator '{}', this is '{}'", e.generator, generator);
    if (!why.empty()) {
      db.notes.push_back(fmt::format("{}: entry {} ({} {} {}) dropped ({}); it will be re-tuned",
                                     origin, i, e.arch, e.bucket, e.variant, why));
      continue;
    }
    db.put(std::move(e));
  }
  return db;
}

TuningDb TuningDb::load(const std::string &path, const std::string &generator) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    TuningDb db;
    db.generator = generator;
    return db; // no database yet
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse(ss.str(), generator, path);
}

const TuningEntry *TuningDb::find(const std::string &variant, const std::string &arch,
                                  const std::string &bucket) const {
  for (const TuningEntry &e : list)
    if (e.variant == variant && e.arch == arch && e.bucket == bucket)
      return &e;
  return nullptr;
}

const TuningEntry *TuningDb::lookup(const Variant &variant, const Target &target,
                                    Mainloop mainloop, const std::optional<ShapeHint> &shape,
                                    std::vector<std::string> &warnings) const {
  const std::string key = tuningVariantKey(variant), arch = target.name();
  std::optional<std::pair<long long, long long>> want;
  if (shape)
    want = parseBucket(shapeBucket(*shape));
  const TuningEntry *best = nullptr;
  long long bestScore = 0;
  for (const TuningEntry &e : list) {
    if (e.variant != key || e.arch != arch)
      continue;
    std::string why;
    if (!isLegalConfig(variant, target, mainloop, e.config, &why)) {
      warnings.push_back(fmt::format("tuning entry {} {} ({}) ignored (stale: {}); re-tune it",
                                     arch, e.bucket, toString(e.config), why));
      continue;
    }
    auto b = parseBucket(e.bucket);
    if (!b)
      continue;
    // With a shape: the smallest log2 distance; without: the largest bucket.
    long long score = want ? -(std::abs(log2Of(b->first) - log2Of(want->first)) +
                               std::abs(log2Of(b->second) - log2Of(want->second)))
                           : b->first * b->second;
    if (!best || score > bestScore) {
      best = &e;
      bestScore = score;
    }
  }
  return best;
}

void TuningDb::put(TuningEntry e) {
  e.checksum = entryChecksum(e);
  for (TuningEntry &old : list)
    if (sameKey(old, e)) {
      old = std::move(e);
      return;
    }
  list.push_back(std::move(e));
}

std::string TuningDb::toJson() const {
  std::string o = fmt::format("{{\n  \"format\": {},\n  \"version\": {},\n  \"entries\": [",
                              quote(kFormat), kSchemaVersion);
  for (size_t i = 0; i < list.size(); ++i)
    o += (i ? ",\n" : "\n") + entryJson(list[i]);
  return o + (list.empty() ? "]\n}\n" : "\n  ]\n}\n");
}

bool TuningDb::store(const std::string &path, const TuningEntry &e, std::string &error,
                     std::vector<std::string> *warnings, const std::string &generator) {
  const std::string lockPath = path + ".lock";
  // The default location (beside the kernel cache) may not exist yet.
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty())
    std::filesystem::create_directories(parent, ec);
  int fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = fmt::format("cannot open the lock file '{}': {}", lockPath, std::strerror(errno));
    return false;
  }
  // Held until close: another tuner's read-merge-write waits for ours.
  if (::flock(fd, LOCK_EX) != 0) {
    error = fmt::format("cannot lock '{}': {}", lockPath, std::strerror(errno));
    ::close(fd);
    return false;
  }
  TuningDb db = load(path, generator);
  if (warnings)
    warnings->insert(warnings->end(), db.notes.begin(), db.notes.end());
  db.put(e);
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  const std::string text = db.toJson();
  bool ok = false;
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    ok = bool(f);
  }
  if (!ok)
    error = fmt::format("cannot write '{}'", tmp);
  else if (std::rename(tmp.c_str(), path.c_str()) != 0)
    error = fmt::format("cannot rename '{}' to '{}': {}", tmp, path, std::strerror(errno)), ok = false;
  if (!ok)
    std::remove(tmp.c_str());
  ::close(fd);
  return ok;
}

} // namespace attngen
