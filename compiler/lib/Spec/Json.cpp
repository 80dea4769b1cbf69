//===- Json.cpp - The strict JSON reader and the writer's leaf helpers ---===//
#include "attngen/Spec/Json.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace attngen::json {

std::string_view kindName(Value::Kind k) {
  switch (k) {
  case Value::Null:
    return "null";
  case Value::Bool:
    return "a boolean";
  case Value::Number:
    return "a number";
  case Value::String:
    return "a string";
  case Value::Array:
    return "an array";
  case Value::Object:
    return "an object";
  }
  return "?";
}


const Value *Value::get(std::string_view key) const {
  if (kind != Object)
    return nullptr;
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key)
      return &items[i];
  return nullptr;
}

std::optional<double> Value::number() const {
  if (kind != Number)
    return std::nullopt;
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(d))
    return std::nullopt;
  return d;
}

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


namespace {

/// Records only the first error.
class Sink {
public:
  explicit Sink(ParseError &error) : error(error) {}
  bool fail(size_t offset, const std::string &message) {
    if (!failed) {
      error.offset = offset;
      error.message = message;
      failed = true;
    }
    return false;
  }

private:
  ParseError &error;
  bool failed = false;
};

class Reader {
public:
  Reader(std::string_view text, Sink &sink, int maxDepth) : s(text), sink(sink), maxDepth(maxDepth) {}

  bool parseDocument(Value &out) {
    if (!parseValue(out, 0))
      return false;
    skipSpace();
    if (pos != s.size())
      return sink.fail(pos, "unexpected text after the JSON value");
    return true;
  }

private:
  std::string_view s;
  Sink &sink;
  int maxDepth;
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

  bool parseValue(Value &v, int depth) {
    skipSpace();
    v.offset = pos;
    if (pos >= s.size())
      return sink.fail(pos, "unexpected end of input, expected a value");
    char c = s[pos];
    if (c == '{' || c == '[') {
      if (depth >= maxDepth)
        return sink.fail(pos, "nesting too deep");
      return c == '{' ? parseObject(v, depth) : parseArray(v, depth);
    }
    if (c == '"') {
      v.kind = Value::String;
      return parseString(v.text);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Value::Number;
      return parseNumber(v.text);
    }
    if (literal("true") || literal("false")) {
      v.kind = Value::Bool;
      v.boolean = c == 't';
      return true;
    }
    if (literal("null")) {
      v.kind = Value::Null;
      return true;
    }
    return sink.fail(pos, std::string("unexpected character '") + c +
                              "', expected a value");
  }

  bool parseObject(Value &v, int depth) {
    v.kind = Value::Object;
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
      if (Next n = next('}', "expected ',' or '}' in object"); n != Next::More)
        return n == Next::Closed;
    }
  }

  bool parseArray(Value &v, int depth) {
    v.kind = Value::Array;
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
      if (Next n = next(']', "expected ',' or ']' in array"); n != Next::More)
        return n == Next::Closed;
    }
  }

  enum class Next { More, Closed, Failed };
  /// After a member or element: a ',' (another follows), `close` (the
  /// container ends) or an error.
  Next next(char close, const char *error) {
    skipSpace();
    if (pos < s.size() && (s[pos] == ',' || s[pos] == close))
      return s[pos++] == ',' ? Next::More : Next::Closed;
    sink.fail(pos, error);
    return Next::Failed;
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


} // namespace

std::optional<Value> parse(std::string_view text, ParseError &error, int maxDepth) {
  Sink sink(error);
  Reader reader(text, sink, maxDepth);
  Value v;
  if (!reader.parseDocument(v))
    return std::nullopt;
  return v;
}

} // namespace attngen::json
