//===- PlanJson.cpp - KernelPlan <-> JSON (the kernel-package manifest) --===//
//
// A small JSON writer and a strict reader for exactly the plan schema: the
// reader parses the text into a tiny DOM that remembers byte offsets, then
// maps it onto a KernelPlan, rejecting unknown, duplicate and missing keys
// and values of the wrong type. The first error wins and carries its byte
// offset. Doubles are written in the shortest form that reads back to the
// same value, so toJson(planFromJson(toJson(p))) is byte-identical.
//
//===----------------------------------------------------------------------===//
#include "attngen/Spec/Plan.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>

namespace attngen {
namespace {

/// Bumped whenever the schema changes; a reader rejects other versions.
constexpr int kPlanJsonVersion = 2; // 2: variant.balance
constexpr std::string_view kPlanJsonFormat = "attngen-plan";
/// Nesting bound of the reader; the schema needs 4.
constexpr int kMaxJsonDepth = 16;

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      static const char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string formatDouble(double d) {
  char buf[64];
  // Shortest representation that round-trips (std::to_chars without a
  // precision), which JSON accepts as a number.
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return ec == std::errc() ? std::string(buf, end) : std::string("0");
}

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
// Reader: text -> DOM with offsets
//===----------------------------------------------------------------------===//

struct JsonValue {
  enum Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Null;
  size_t offset = 0;
  bool boolean = false;
  std::string text;             ///< a string's contents or a number's raw text
  std::vector<JsonValue> items; ///< array elements or object values
  std::vector<std::string> keys;
  std::vector<size_t> keyOffsets;
};

std::string_view kindName(JsonValue::Kind k) {
  switch (k) {
  case JsonValue::Null:
    return "null";
  case JsonValue::Bool:
    return "a boolean";
  case JsonValue::Number:
    return "a number";
  case JsonValue::String:
    return "a string";
  case JsonValue::Array:
    return "an array";
  case JsonValue::Object:
    return "an object";
  }
  return "?";
}

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

class JsonReader {
public:
  JsonReader(std::string_view text, ErrorSink &sink) : s(text), sink(sink) {}

  bool parseDocument(JsonValue &out) {
    if (!parseValue(out, 0))
      return false;
    skipSpace();
    if (pos != s.size())
      return sink.fail(pos, "unexpected text after the JSON value");
    return true;
  }

private:
  std::string_view s;
  ErrorSink &sink;
  size_t pos = 0;

  void skipSpace() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' ||
                              s[pos] == '\n' || s[pos] == '\r'))
      ++pos;
  }

  bool literal(std::string_view word) {
    if (s.substr(pos, word.size()) != word)
      return false;
    pos += word.size();
    return true;
  }

  bool parseValue(JsonValue &v, int depth) {
    skipSpace();
    v.offset = pos;
    if (pos >= s.size())
      return sink.fail(pos, "unexpected end of input, expected a value");
    char c = s[pos];
    if (c == '{' || c == '[') {
      if (depth >= kMaxJsonDepth)
        return sink.fail(pos, "nesting too deep");
      return c == '{' ? parseObject(v, depth) : parseArray(v, depth);
    }
    if (c == '"') {
      v.kind = JsonValue::String;
      return parseString(v.text);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = JsonValue::Number;
      return parseNumber(v.text);
    }
    if (literal("true") || literal("false")) {
      v.kind = JsonValue::Bool;
      v.boolean = c == 't';
      return true;
    }
    if (literal("null")) {
      v.kind = JsonValue::Null;
      return true;
    }
    return sink.fail(pos, std::string("unexpected character '") + c +
                              "', expected a value");
  }

  bool parseObject(JsonValue &v, int depth) {
    v.kind = JsonValue::Object;
    ++pos; // '{'
    skipSpace();
    if (pos < s.size() && s[pos] == '}') {
      ++pos;
      return true;
    }
    while (true) {
      skipSpace();
      if (pos >= s.size() || s[pos] != '"')
        return sink.fail(pos, "expected a string key in object");
      v.keyOffsets.push_back(pos);
      std::string key;
      if (!parseString(key))
        return false;
      v.keys.push_back(std::move(key));
      skipSpace();
      if (pos >= s.size() || s[pos] != ':')
        return sink.fail(pos, "expected ':' after object key");
      ++pos;
      v.items.emplace_back();
      if (!parseValue(v.items.back(), depth + 1))
        return false;
      skipSpace();
      if (pos < s.size() && s[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < s.size() && s[pos] == '}') {
        ++pos;
        return true;
      }
      return sink.fail(pos, "expected ',' or '}' in object");
    }
  }

  bool parseArray(JsonValue &v, int depth) {
    v.kind = JsonValue::Array;
    ++pos; // '['
    skipSpace();
    if (pos < s.size() && s[pos] == ']') {
      ++pos;
      return true;
    }
    while (true) {
      v.items.emplace_back();
      if (!parseValue(v.items.back(), depth + 1))
        return false;
      skipSpace();
      if (pos < s.size() && s[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < s.size() && s[pos] == ']') {
        ++pos;
        return true;
      }
      return sink.fail(pos, "expected ',' or ']' in array");
    }
  }

  static int hexDigit(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  bool parseHex4(uint32_t &cp) {
    if (pos + 4 > s.size())
      return sink.fail(pos, "truncated \\u escape");
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      int d = hexDigit(s[pos + i]);
      if (d < 0)
        return sink.fail(pos + i, "bad hex digit in \\u escape");
      cp = cp * 16 + static_cast<uint32_t>(d);
    }
    pos += 4;
    return true;
  }

  static void appendUtf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool parseString(std::string &out) {
    size_t start = pos++;
    while (true) {
      if (pos >= s.size())
        return sink.fail(start, "unterminated string");
      char c = s[pos];
      if (c == '"') {
        ++pos;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20)
        return sink.fail(pos, "control character in string");
      if (c != '\\') {
        out += c;
        ++pos;
        continue;
      }
      size_t escape = pos++;
      if (pos >= s.size())
        return sink.fail(start, "unterminated string");
      char e = s[pos++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp = 0;
        if (!parseHex4(cp))
          return false;
        if (cp >= 0xD800 && cp < 0xDC00) {
          uint32_t low = 0;
          if (!literal("\\u") || !parseHex4(low) || low < 0xDC00 ||
              low >= 0xE000)
            return sink.fail(escape, "unpaired surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          return sink.fail(escape, "unpaired surrogate in \\u escape");
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        return sink.fail(escape, "bad escape in string");
      }
    }
  }

  bool digits() {
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')
      ++pos;
    return pos > start;
  }

  bool parseNumber(std::string &out) {
    size_t start = pos;
    if (s[pos] == '-')
      ++pos;
    if (pos < s.size() && s[pos] == '0')
      ++pos; // JSON forbids leading zeros
    else if (!digits())
      return sink.fail(start, "bad number");
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      if (!digits())
        return sink.fail(start, "bad number: digits expected after '.'");
    }
    if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
      ++pos;
      if (pos < s.size() && (s[pos] == '+' || s[pos] == '-'))
        ++pos;
      if (!digits())
        return sink.fail(start, "bad number: digits expected in exponent");
    }
    out = std::string(s.substr(start, pos - start));
    return true;
  }
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
                           "bias", "head_dim", "layout", "gqa", "input",
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

std::optional<KernelPlan> planFromJson(std::string_view json,
                                       std::string &error) {
  ErrorSink sink(error);
  JsonValue dom;
  JsonReader reader(json, sink);
  if (!reader.parseDocument(dom))
    return std::nullopt;
  KernelPlan plan;
  if (!readPlan(dom, plan, sink))
    return std::nullopt;
  error.clear();
  return plan;
}

} // namespace attngen
