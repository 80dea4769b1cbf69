//===- Json.h - The JSON reader and writer helpers of plans and the tuning db ===//
//
// One strict reader for the project's JSON files (kernel-package plans, the
// tuning database): text -> a small DOM that remembers byte offsets and keeps
// numbers as their raw text, so a reader decides how to convert them. The
// first error wins and carries its byte offset; each file format words its
// own message around it. And the writer's two leaf helpers.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_SPEC_JSON_H
#define ATTNGEN_SPEC_JSON_H

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attngen::json {

struct Value {
  enum Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Null;
  size_t offset = 0;
  bool boolean = false;
  std::string text;         ///< a string's contents or a number's raw text
  std::vector<Value> items; ///< array elements or object values
  std::vector<std::string> keys;
  std::vector<size_t> keyOffsets;

  /// An object's member (the first of that name), or null.
  const Value *get(std::string_view key) const;
  /// A number's value as a finite double, or nullopt (not a number, or out of range).
  std::optional<double> number() const;
};

std::string_view kindName(Value::Kind k);

/// Where and why a parse failed.
struct ParseError {
  size_t offset = 0;
  std::string message;
};

/// Parses one whole document (nothing but white space after it).
std::optional<Value> parse(std::string_view text, ParseError &error, int maxDepth = 16);

/// A JSON string literal of `s` (control characters as \u00XX).
std::string quote(std::string_view s);
/// The shortest text that reads back to the same double.
std::string formatDouble(double d);

} // namespace attngen::json

#endif // ATTNGEN_SPEC_JSON_H
