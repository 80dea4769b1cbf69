//===- PlanJson.cpp - KernelPlan <-> JSON (the kernel-package manifest) --===//
//
// A small JSON writer and a strict reader for exactly the plan schema: the
// text is parsed into the DOM of Spec/Json.h (byte offsets kept), then mapped
// onto a KernelPlan, rejecting unknown, duplicate and missing keys and values
// of the wrong type. The first error wins and carries its byte
// offset. Doubles are written in the shortest form that reads back to the
// same value, so toJson(planFromJson(toJson(p))) is byte-identical.
//
//===----------------------------------------------------------------------===//
#include "attngen/Spec/Plan.h"
#include "attngen/Spec/Json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>

namespace attngen {
namespace {

using JsonValue = json::Value;
using json::formatDouble;
using json::kindName;
using json::quote;

/// Bumped whenever the schema changes; a reader rejects other versions.
constexpr int kPlanJsonVersion = 2; // 2: variant.balance
constexpr std::string_view kPlanJsonFormat = "attngen-plan";

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

/// Writes `"key": value` members with indentation and separators.
class ObjectWriter {
public:
  ObjectWriter(std::string &out, int indent) : out(out), indent(indent) {
    out += "{";
  }
  void raw(std::string_view key, std::string_view value) {
    out += first ? "\n" : ",\n";
    first = false;
    out.append(indent + 2, ' ');
    out += quote(key);
    out += ": ";
    out += value;
  }
  void str(std::string_view key, std::string_view value) {
    raw(key, quote(value));
  }
  void num(std::string_view key, int value) { raw(key, std::to_string(value)); }
  void boolean(std::string_view key, bool value) {
    raw(key, value ? "true" : "false");
  }
  void close() {
    out += "\n";
    out.append(indent, ' ');
    out += "}";
  }

private:
  std::string &out;
  int indent;
  bool first = true;
};

std::string variantJson(const Variant &v, int indent) {
  std::string out;
  ObjectWriter w(out, indent);
  w.str("name", v.name);
  w.str("qk", toString(v.qk));
  w.str("pv", toString(v.pv));
  w.str("q_granularity", toString(v.q_granularity));
  w.str("k_granularity", toString(v.k_granularity));
  w.str("v_granularity", toString(v.v_granularity));
  w.boolean("smooth_q", v.smooth_q);
  w.boolean("smooth_k", v.smooth_k);
  w.boolean("smooth_v", v.smooth_v);
  w.boolean("balance", v.balance);
  w.str("mask", toString(v.mask));
  w.num("window_left", v.window_left);
  w.num("window_right", v.window_right);
  // A cap is a finite positive number or 0 (validateVariant refuses others).
  w.raw("softcap", formatDouble(v.softcap));
  w.str("bias", toString(v.bias));
  w.num("bias_rank", v.bias_rank);
  w.num("head_dim", v.head_dim);
  w.str("layout", toString(v.layout));
  w.num("gqa", v.gqa);
  w.str("input", toString(v.input));
  w.str("output", toString(v.output));
  w.boolean("lse", v.lse);
  if (!v.scale)
    w.raw("scale", "null");
  else if (std::isfinite(*v.scale))
    w.raw("scale", formatDouble(*v.scale));
  else // JSON has no inf/nan; a string makes the reader reject it loudly.
    w.str("scale", formatDouble(*v.scale));
  w.close();
  return out;
}

//===----------------------------------------------------------------------===//
// Reader (the DOM comes from json::parse)
//===----------------------------------------------------------------------===//

/// Records only the first error, formatted with its byte offset.
class ErrorSink {
public:
  explicit ErrorSink(std::string &error) : error(error) {}
  bool fail(size_t offset, const std::string &message) {
    if (!failed) {
      error = "plan JSON: byte " + std::to_string(offset) + ": " + message;
      failed = true;
    }
    return false;
  }

private:
  std::string &error;
  bool failed = false;
};

//===----------------------------------------------------------------------===//
// Reader: DOM -> KernelPlan
//===----------------------------------------------------------------------===//

/// An object checked against its exact key set: every key present once.
class ObjectView {
public:
  ObjectView(const JsonValue &v, ErrorSink &sink) : v(v), sink(sink) {}

  bool check(std::string_view what,
             std::initializer_list<std::string_view> keys) {
    if (v.kind != JsonValue::Object)
      return sink.fail(v.offset, std::string(what) +
                                     " must be an object, not " +
                                     std::string(kindName(v.kind)));
    for (size_t i = 0; i < v.keys.size(); ++i) {
      bool known = false;
      for (std::string_view k : keys)
        known |= v.keys[i] == k;
      if (!known)
        return sink.fail(v.keyOffsets[i], "unknown key \"" + v.keys[i] +
                                              "\" in " + std::string(what));
      for (size_t j = 0; j < i; ++j)
        if (v.keys[j] == v.keys[i])
          return sink.fail(v.keyOffsets[i], "duplicate key \"" + v.keys[i] +
                                                "\" in " + std::string(what));
    }
    for (std::string_view k : keys)
      if (!find(k))
        return sink.fail(v.offset, "missing key \"" + std::string(k) +
                                       "\" in " + std::string(what));
    return true;
  }

  /// Only valid after check() succeeded for a key set containing `key`.
  const JsonValue &operator[](std::string_view key) const { return *find(key); }

private:
  const JsonValue &v;
  ErrorSink &sink;

  const JsonValue *find(std::string_view key) const {
    for (size_t i = 0; i < v.keys.size(); ++i)
      if (v.keys[i] == key)
        return &v.items[i];
    return nullptr;
  }
};

bool expectKind(const JsonValue &v, JsonValue::Kind kind, std::string_view what,
                ErrorSink &sink) {
  if (v.kind == kind)
    return true;
  return sink.fail(v.offset, std::string(what) + " must be " +
                                 std::string(kindName(kind)) + ", not " +
                                 std::string(kindName(v.kind)));
}

bool readInt(const JsonValue &v, std::string_view what, int &out,
             ErrorSink &sink) {
  if (!expectKind(v, JsonValue::Number, what, sink))
    return false;
  const std::string &t = v.text;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec != std::errc() || end != t.data() + t.size())
    return sink.fail(v.offset, std::string(what) +
                                   " must be an integer in int range, not " +
                                   t);
  return true;
}

bool readBool(const JsonValue &v, std::string_view what, bool &out,
              ErrorSink &sink) {
  if (!expectKind(v, JsonValue::Bool, what, sink))
    return false;
  out = v.boolean;
  return true;
}

bool readString(const JsonValue &v, std::string_view what, std::string &out,
                ErrorSink &sink) {
  if (!expectKind(v, JsonValue::String, what, sink))
    return false;
  out = v.text;
  return true;
}

/// Reads a canonical enum spelling; aliases are not part of the schema.
template <class T, class ParseFn>
bool readEnum(const JsonValue &v, std::string_view what, T &out, ParseFn parse,
              ErrorSink &sink) {
  if (!expectKind(v, JsonValue::String, what, sink))
    return false;
  std::optional<T> parsed = parse(v.text);
  if (!parsed || toString(*parsed) != v.text)
    return sink.fail(v.offset,
                     "bad " + std::string(what) + " \"" + v.text + "\"");
  out = *parsed;
  return true;
}

bool readFiniteDouble(const JsonValue &v, std::string_view what, double &out,
                      ErrorSink &sink) {
  if (!expectKind(v, JsonValue::Number, what, sink))
    return false;
  const std::string &t = v.text;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(out))
    return sink.fail(v.offset, std::string(what) + " " + t + " is not a finite double");
  return true;
}

bool readVariant(const JsonValue &json, Variant &v, ErrorSink &sink) {
  ObjectView o(json, sink);
  if (!o.check("variant", {"name", "qk", "pv", "q_granularity", "k_granularity",
                           "v_granularity", "smooth_q", "smooth_k", "smooth_v",
                           "balance", "mask", "window_left", "window_right", "softcap",
                           "bias", "bias_rank", "head_dim", "layout", "gqa", "input",
                           "output", "lse", "scale"}))
    return false;
  if (!readString(o["name"], "variant name", v.name, sink) ||
      !readEnum(o["qk"], "qk", v.qk, parseDType, sink) ||
      !readEnum(o["pv"], "pv", v.pv, parseDType, sink) ||
      !readEnum(o["q_granularity"], "q_granularity", v.q_granularity,
                parseGranularity, sink) ||
      !readEnum(o["k_granularity"], "k_granularity", v.k_granularity,
                parseGranularity, sink) ||
      !readEnum(o["v_granularity"], "v_granularity", v.v_granularity,
                parseGranularity, sink) ||
      !readBool(o["smooth_q"], "smooth_q", v.smooth_q, sink) ||
      !readBool(o["smooth_k"], "smooth_k", v.smooth_k, sink) ||
      !readBool(o["smooth_v"], "smooth_v", v.smooth_v, sink) ||
      !readBool(o["balance"], "balance", v.balance, sink) ||
      !readEnum(o["mask"], "mask", v.mask, parseMaskKind, sink) ||
      !readInt(o["window_left"], "window_left", v.window_left, sink) ||
      !readInt(o["window_right"], "window_right", v.window_right, sink) ||
      !readFiniteDouble(o["softcap"], "softcap", v.softcap, sink) ||
      !readEnum(o["bias"], "bias", v.bias, parseBiasKind, sink) ||
      !readInt(o["bias_rank"], "bias_rank", v.bias_rank, sink) ||
      !readInt(o["head_dim"], "head_dim", v.head_dim, sink) ||
      !readEnum(o["layout"], "layout", v.layout, parseLayout, sink) ||
      !readInt(o["gqa"], "gqa", v.gqa, sink) ||
      !readEnum(o["input"], "input", v.input, parseDType, sink) ||
      !readEnum(o["output"], "output", v.output, parseDType, sink) ||
      !readBool(o["lse"], "lse", v.lse, sink))
    return false;
  const JsonValue &scale = o["scale"];
  if (scale.kind == JsonValue::Null) {
    v.scale.reset();
    return true;
  }
  if (scale.kind != JsonValue::Number)
    return sink.fail(scale.offset,
                     "scale must be a finite number or null, not " +
                         std::string(kindName(scale.kind)));
  double d = 0;
  const std::string &t = scale.text;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
  if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(d))
    return sink.fail(scale.offset, "scale " + t + " is not a finite double");
  v.scale = d;
  return true;
}

bool readTarget(const JsonValue &json, Target &t, ErrorSink &sink) {
  ObjectView o(json, sink);
  return o.check("target", {"sm", "arch_specific"}) &&
         readInt(o["sm"], "target sm", t.sm, sink) &&
         readBool(o["arch_specific"], "target arch_specific", t.archSpecific,
                  sink);
}

bool readTiles(const JsonValue &json, Tiles &t, ErrorSink &sink) {
  ObjectView o(json, sink);
  return o.check("tiles", {"block_m", "block_n", "warps", "stages"}) &&
         readInt(o["block_m"], "block_m", t.blockM, sink) &&
         readInt(o["block_n"], "block_n", t.blockN, sink) &&
         readInt(o["warps"], "warps", t.warps, sink) &&
         readInt(o["stages"], "stages", t.stages, sink);
}

bool readKernel(const JsonValue &json, KernelDesc &k, ErrorSink &sink) {
  ObjectView o(json, sink);
  return o.check("kernel", {"role", "symbol", "threads", "smem_bytes"}) &&
         readEnum(o["role"], "kernel role", k.role, parseKernelRole, sink) &&
         readString(o["symbol"], "kernel symbol", k.symbol, sink) &&
         readInt(o["threads"], "kernel threads", k.threads, sink) &&
         readInt(o["smem_bytes"], "kernel smem_bytes", k.smemBytes, sink);
}

bool readPlan(const JsonValue &json, KernelPlan &plan, ErrorSink &sink) {
  ObjectView o(json, sink);
  if (!o.check("plan", {"format", "version", "variant", "target", "mainloop",
                        "tiles", "kv_chunk", "kernels"}))
    return false;
  std::string format;
  if (!readString(o["format"], "format", format, sink))
    return false;
  if (format != kPlanJsonFormat)
    return sink.fail(o["format"].offset, "format must be \"" +
                                             std::string(kPlanJsonFormat) +
                                             "\", not \"" + format + "\"");
  int version = 0;
  if (!readInt(o["version"], "version", version, sink))
    return false;
  if (version != kPlanJsonVersion)
    return sink.fail(o["version"].offset,
                     "unsupported plan version " + std::to_string(version) +
                         " (this build reads " +
                         std::to_string(kPlanJsonVersion) + ")");
  if (!readVariant(o["variant"], plan.variant, sink) ||
      !readTarget(o["target"], plan.target, sink) ||
      !readEnum(o["mainloop"], "mainloop", plan.mainloop, parseMainloop,
                sink) ||
      !readTiles(o["tiles"], plan.tiles, sink) ||
      !readInt(o["kv_chunk"], "kv_chunk", plan.kvChunk, sink))
    return false;
  const JsonValue &kernels = o["kernels"];
  if (!expectKind(kernels, JsonValue::Array, "kernels", sink))
    return false;
  plan.kernels.clear();
  for (const JsonValue &k : kernels.items) {
    plan.kernels.emplace_back();
    if (!readKernel(k, plan.kernels.back(), sink))
      return false;
  }
  return true;
}

} // namespace

std::string toJson(const KernelPlan &plan) {
  std::string out;
  ObjectWriter w(out, 0);
  w.str("format", kPlanJsonFormat);
  w.num("version", kPlanJsonVersion);
  w.raw("variant", variantJson(plan.variant, 2));
  {
    std::string t;
    ObjectWriter tw(t, 2);
    tw.num("sm", plan.target.sm);
    tw.boolean("arch_specific", plan.target.archSpecific);
    tw.close();
    w.raw("target", t);
  }
  w.str("mainloop", toString(plan.mainloop));
  {
    std::string t;
    ObjectWriter tw(t, 2);
    tw.num("block_m", plan.tiles.blockM);
    tw.num("block_n", plan.tiles.blockN);
    tw.num("warps", plan.tiles.warps);
    tw.num("stages", plan.tiles.stages);
    tw.close();
    w.raw("tiles", t);
  }
  w.num("kv_chunk", plan.kvChunk);
  std::string list = "[";
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    const KernelDesc &k = plan.kernels[i];
    list += i ? ",\n    " : "\n    ";
    ObjectWriter kw(list, 4);
    kw.str("role", toString(k.role));
    kw.str("symbol", k.symbol);
    kw.num("threads", k.threads);
    kw.num("smem_bytes", k.smemBytes);
    kw.close();
  }
  list += plan.kernels.empty() ? "]" : "\n  ]";
  w.raw("kernels", list);
  w.close();
  out += "\n";
  return out;
}

std::optional<KernelPlan> planFromJson(std::string_view jsonText,
                                       std::string &error) {
  ErrorSink sink(error);
  JsonValue dom;
  json::ParseError perr;
  std::optional<JsonValue> parsed = json::parse(jsonText, perr);
  if (!parsed) {
    sink.fail(perr.offset, perr.message);
    return std::nullopt;
  }
  dom = std::move(*parsed);
  KernelPlan plan;
  if (!readPlan(dom, plan, sink))
    return std::nullopt;
  error.clear();
  return plan;
}

} // namespace attngen
