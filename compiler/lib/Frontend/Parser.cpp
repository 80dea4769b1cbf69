//===- Parser.cpp - Recursive-descent parser of the variant DSL ----------===//
//
//   file      = { variant } ;
//   variant   = "variant" identifier "{" { statement } "}" ;
//   statement = key "=" value ";" ;
//
// Errors are collected, not thrown: after a bad statement the parser skips
// to the next ';' (or '}' or the next `variant`), so one run reports every
// independent mistake. A variant whose block had an error is not returned.
//
//===----------------------------------------------------------------------===//
#include "attngen/Frontend/Parser.h"

#include "Domains.h"
#include "attngen/Frontend/Lexer.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

namespace attngen {

using namespace frontend;

namespace {

/// Every key a statement may start with, for `did you mean` hints.
constexpr std::string_view kKeys[] = {
    "qk",     "pv",  "granularity", "smooth", "balance", "mask", "head_dim",
    "layout", "gqa", "input",       "output", "lse",     "scale",
    "window", "softcap", "bias"};

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min(
          {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string allKeys() {
  std::string s;
  for (std::string_view k : kKeys) {
    if (!s.empty())
      s += ", ";
    s += k;
  }
  return s;
}

struct SeenKey {
  int line, column;
};

class Parser {
public:
  Parser(std::string_view source, std::string_view fileName,
         ParseResult &result)
      : src(source), file(fileName), toks(tokenize(source)), result(result) {}

  void parseFile() {
    while (!at(TokenKind::Eof)) {
      if (atVariantKeyword()) {
        parseVariant();
        continue;
      }
      unexpected(peek(), "'variant'");
      // Resynchronize on the next variant block.
      do
        advance();
      while (!at(TokenKind::Eof) && !atVariantKeyword());
    }
  }

private:
  std::string_view src;
  std::string file;
  std::vector<Token> toks;
  size_t pos = 0;
  ParseResult &result;
  std::map<std::string, SeenKey> variantNames;

  //===--- Token stream ---------------------------------------------------===//

  const Token &peek(size_t ahead = 0) const {
    return toks[std::min(pos + ahead, toks.size() - 1)];
  }
  const Token &advance() {
    const Token &t = toks[pos];
    if (t.kind != TokenKind::Eof)
      ++pos;
    return t;
  }
  bool at(TokenKind k) const { return peek().kind == k; }
  bool atIdent(std::string_view text) const {
    return at(TokenKind::Identifier) && peek().text == text;
  }
  /// `variant NAME {`: the start of a block, also inside an unclosed one.
  bool atVariantKeyword() const { return atIdent("variant"); }
  bool atBlockStart() const {
    return atIdent("variant") && peek(1).kind == TokenKind::Identifier &&
           peek(2).kind == TokenKind::LBrace;
  }

  //===--- Diagnostics ----------------------------------------------------===//

  std::string lineOf(size_t offset, int column) const {
    size_t begin = offset - static_cast<size_t>(column - 1);
    size_t end = src.find('\n', begin);
    if (end == std::string_view::npos)
      end = src.size();
    if (end > begin && src[end - 1] == '\r')
      --end;
    return std::string(src.substr(begin, end - begin));
  }

  void errorAt(size_t offset, int line, int column, int length,
               std::string message, std::string hint = "") {
    Diagnostic d;
    d.file = file;
    d.line = line;
    d.column = column;
    d.length = std::max(length, 1);
    d.message = std::move(message);
    d.snippet = lineOf(offset, column);
    d.hint = std::move(hint);
    result.diagnostics.push_back(std::move(d));
  }

  void error(const Token &t, std::string message, std::string hint = "") {
    errorAt(t.offset, t.line, t.column, static_cast<int>(t.text.size()),
            std::move(message), std::move(hint));
  }

  /// `t` is not what the grammar wants here; lexical garbage gets its own
  /// message since that is the real problem.
  void unexpected(const Token &t, std::string_view expected) {
    switch (t.kind) {
    case TokenKind::Unknown:
      error(t, "unexpected character '" + std::string(t.text) + "'",
            t.text == ":" ? "keys and values are separated by '='" : "");
      return;
    case TokenKind::BadNumber:
      badNumber(t);
      return;
    case TokenKind::Eof:
      error(t, "expected " + std::string(expected) + ", found end of file");
      return;
    case TokenKind::RBrace:
      error(t, "expected " + std::string(expected) + ", found '}'",
            expected == "'variant'" ? "no block is open here" : "");
      return;
    default:
      error(t, "expected " + std::string(expected) + ", found '" +
                   std::string(t.text) + "'");
      return;
    }
  }

  void badNumber(const Token &t, std::string why = "") {
    error(t, "bad number '" + std::string(t.text) + "'" + why,
          "numbers look like 128, 0.125 or 1e-3");
  }

  /// Skips the rest of a bad statement: through the next ';', or up to a
  /// '}', the next block or the end.
  void skipStatement() {
    while (!at(TokenKind::Eof) && !at(TokenKind::RBrace) && !atBlockStart()) {
      if (advance().kind == TokenKind::Semicolon)
        return;
    }
  }

  //===--- Blocks and statements ------------------------------------------===//

  void parseVariant() {
    const Token &keyword = advance();
    if (!at(TokenKind::Identifier)) {
      unexpected(peek(), "a variant name after 'variant'");
      if (!at(TokenKind::LBrace)) {
        while (!at(TokenKind::Eof) && !atVariantKeyword())
          advance();
        return;
      }
    }
    size_t errorsBefore = result.diagnostics.size();
    Variant v;
    if (at(TokenKind::Identifier)) {
      const Token &name = advance();
      v.name = std::string(name.text);
      auto [it, inserted] =
          variantNames.emplace(v.name, SeenKey{name.line, name.column});
      if (!inserted)
        error(name, "duplicate variant name '" + v.name + "'",
              "first defined at line " + std::to_string(it->second.line) +
                  ", column " + std::to_string(it->second.column));
    }
    if (!at(TokenKind::LBrace)) {
      unexpected(peek(), "'{' after the variant name");
      while (!at(TokenKind::Eof) && !atVariantKeyword())
        advance();
      return;
    }
    const Token &lbrace = advance();
    std::map<std::string, SeenKey> seen;
    while (true) {
      if (at(TokenKind::RBrace)) {
        advance();
        break;
      }
      if (at(TokenKind::Eof)) {
        error(lbrace,
              "unterminated block of variant '" + v.name +
                  "': end of file before its '}'",
              "add '}' after the last statement");
        break;
      }
      if (atBlockStart()) {
        error(peek(), "missing '}' before the next variant",
              "close variant '" + v.name + "' (opened at line " +
                  std::to_string(lbrace.line) + ") with '}'");
        break;
      }
      parseStatement(v, seen);
    }
    // Balancing only acts on quantized QK: off by default for 16-bit QK so
    // that the canonical text of such a variant says what runs.
    if (!seen.count("balance"))
      v.balance = bitWidth(v.qk) <= 8;
    // The window and the mask are separate statements in any order: check
    // them together once the block is read, at the window's statement.
    if (auto w = seen.find("window"); w != seen.end() && v.hasWindow()) {
      if (std::string why = checkWindowMask(v.window_right, v.mask); !why.empty()) {
        for (const Token &t : toks)
          if (t.line == w->second.line && t.column == w->second.column) {
            error(t, why, "write window = (left, 0), or mask = none for a two-sided window");
            break;
          }
      }
    }
    if (result.diagnostics.size() == errorsBefore) {
      result.variants.push_back(std::move(v));
      result.locations.push_back({keyword.line, keyword.column});
    }
  }

  void parseStatement(Variant &v, std::map<std::string, SeenKey> &seen) {
    const Token &keyTok = peek();
    if (keyTok.kind != TokenKind::Identifier) {
      unexpected(keyTok, "a key");
      // A stray character is one token of noise; anything else loses the
      // statement.
      if (keyTok.kind == TokenKind::Unknown)
        advance();
      else
        skipStatement();
      return;
    }
    advance();
    std::string key(keyTok.text);
    int keyLength = static_cast<int>(keyTok.text.size());
    if (key == "granularity") {
      const Token &operand = peek();
      if (operand.kind != TokenKind::Identifier ||
          (operand.text != "q" && operand.text != "k" && operand.text != "v")) {
        if (operand.kind == TokenKind::Identifier)
          error(operand,
                "unknown operand '" + std::string(operand.text) +
                    "' of granularity",
                "granularity applies to q, k or v");
        else
          unexpected(operand, "q, k or v after 'granularity'");
        skipStatement();
        return;
      }
      advance();
      key += " " + std::string(operand.text);
      keyLength = static_cast<int>(operand.offset + operand.text.size() -
                                   keyTok.offset);
    } else if (std::find(std::begin(kKeys), std::end(kKeys), key) ==
               std::end(kKeys)) {
      unknownKey(keyTok);
      skipStatement();
      return;
    }
    auto [it, inserted] =
        seen.emplace(key, SeenKey{keyTok.line, keyTok.column});
    if (!inserted) {
      errorAt(keyTok.offset, keyTok.line, keyTok.column, keyLength,
              "duplicate key '" + key + "'",
              "first set at line " + std::to_string(it->second.line) +
                  ", column " + std::to_string(it->second.column));
      skipStatement();
      return;
    }
    if (!at(TokenKind::Equal)) {
      unexpected(peek(), "'=' after '" + key + "'");
      skipStatement();
      return;
    }
    advance();
    if (!parseValue(key, v)) {
      skipStatement();
      return;
    }
    if (at(TokenKind::Semicolon)) {
      advance();
      return;
    }
    if (at(TokenKind::Unknown) || at(TokenKind::BadNumber)) {
      unexpected(peek(), "';'");
      skipStatement();
      return;
    }
    // Point just past the value, where the ';' belongs, and go on with the
    // next token as the start of the next statement.
    const Token &last = toks[pos - 1];
    errorAt(last.offset + last.text.size(), last.line,
            last.column + static_cast<int>(last.text.size()), 1,
            "expected ';' after the value of '" + key + "'",
            "end each statement with ';'");
  }

  void unknownKey(const Token &t) {
    std::string_view best;
    size_t bestDistance = ~size_t(0);
    for (std::string_view k : kKeys) {
      size_t d = editDistance(t.text, k);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    // Suggest only a plausible typo; otherwise list what exists.
    bool close = bestDistance <= 2 || bestDistance * 3 <= t.text.size();
    error(t, "unknown key '" + std::string(t.text) + "'",
          close ? "did you mean '" + std::string(best) + "'?"
                : "known keys: " + allKeys());
  }

  //===--- Values ---------------------------------------------------------===//

  /// Consumes and applies the value of `key`; false (after reporting) when
  /// it is malformed or out of the key's domain.
  bool parseValue(const std::string &key, Variant &v) {
    const Token &t = peek();
    if (t.kind == TokenKind::Unknown || t.kind == TokenKind::BadNumber) {
      unexpected(t, "a value");
      return false;
    }
    if (t.kind == TokenKind::Semicolon || t.kind == TokenKind::RBrace ||
        t.kind == TokenKind::Eof) {
      error(t, "missing value for '" + key + "'", allowedHint(key));
      return false;
    }
    if (key == "qk" || key == "pv" || key == "input" || key == "output") {
      DType *field = key == "qk"      ? &v.qk
                     : key == "pv"    ? &v.pv
                     : key == "input" ? &v.input
                                      : &v.output;
      std::optional<DType> d;
      if (t.kind == TokenKind::Identifier)
        d = parseDType(t.text);
      if (!d || !contains(dtypeDomain(key), *d))
        return badValue(t, key);
      *field = *d;
    } else if (key.rfind("granularity ", 0) == 0) {
      char operand = key.back();
      Granularity *field = operand == 'q'   ? &v.q_granularity
                           : operand == 'k' ? &v.k_granularity
                                            : &v.v_granularity;
      std::optional<Granularity> g;
      if (t.kind == TokenKind::Identifier)
        g = parseGranularity(t.text);
      if (!g || !contains(granularityDomain(operand), *g))
        return badValue(t, key);
      *field = *g;
    } else if (key == "smooth") {
      return parseSmooth(v);
    } else if (key == "mask") {
      std::optional<MaskKind> m;
      if (t.kind == TokenKind::Identifier)
        m = parseMaskKind(t.text);
      if (!m)
        return badValue(t, key);
      v.mask = *m;
    } else if (key == "window") {
      return parseWindow(v);
    } else if (key == "softcap") {
      if (t.kind != TokenKind::Number)
        return badValue(t, key);
      double d = 0;
      auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), d);
      if (ec != std::errc() || end != t.text.data() + t.text.size()) {
        badNumber(t, " (out of the range of a double)");
        return false;
      }
      if (std::string why = checkSoftcap(d); !why.empty()) {
        error(t, why, "Gemma 2 uses softcap = 50.0; leave the key out for no cap");
        return false;
      }
      v.softcap = d;
    } else if (key == "bias") {
      std::optional<BiasKind> b;
      if (t.kind == TokenKind::Identifier)
        b = parseBiasKind(t.text);
      if (!b)
        return badValue(t, key);
      v.bias = *b;
      v.bias_rank = 0;
      if (*b == BiasKind::LowRank)
        return parseBiasRank(v);
    } else if (key == "layout") {
      std::optional<Layout> l;
      if (t.kind == TokenKind::Identifier)
        l = parseLayout(t.text);
      if (!l)
        return badValue(t, key);
      v.layout = *l;
    } else if (key == "lse" || key == "balance") {
      if (t.kind != TokenKind::Identifier ||
          (t.text != "true" && t.text != "false"))
        return badValue(t, key);
      (key == "lse" ? v.lse : v.balance) = t.text == "true";
    } else if (key == "head_dim" || key == "gqa") {
      long long n = 0;
      if (!parseInteger(t, key, n))
        return false;
      std::string why = key == "head_dim" ? checkHeadDim(n) : checkGqa(n);
      if (!why.empty()) {
        error(t, why, key == "head_dim" ? "e.g. 64, 128 or 256" : "");
        return false;
      }
      (key == "head_dim" ? v.head_dim : v.gqa) = static_cast<int>(n);
    } else if (key == "scale") {
      if (t.kind == TokenKind::Identifier && t.text == "default") {
        v.scale.reset();
      } else {
        if (t.kind != TokenKind::Number)
          return badValue(t, key);
        double d = 0;
        auto [end, ec] =
            std::from_chars(t.text.data(), t.text.data() + t.text.size(), d);
        if (ec != std::errc() || end != t.text.data() + t.text.size()) {
          badNumber(t, " (out of the range of a double)");
          return false;
        }
        if (std::string why = checkScale(d); !why.empty()) {
          error(t, why, "write 'scale = default;' for 1/sqrt(head_dim)");
          return false;
        }
        v.scale = d;
      }
    }
    advance();
    return true;
  }

  bool parseInteger(const Token &t, const std::string &key, long long &n) {
    if (t.kind != TokenKind::Number ||
        t.text.find_first_of(".eE") != std::string_view::npos) {
      error(t, key + " must be an integer, not '" + std::string(t.text) + "'");
      return false;
    }
    auto [end, ec] =
        std::from_chars(t.text.data(), t.text.data() + t.text.size(), n);
    if (ec != std::errc() || end != t.text.data() + t.text.size() ||
        n > std::numeric_limits<int>::max() ||
        n < std::numeric_limits<int>::min()) {
      badNumber(t, " (out of range)");
      return false;
    }
    return true;
  }

  /// `(left, right)`: two integers, each -1 (unbounded) or >= 0.
  bool parseWindow(Variant &v) {
    if (!at(TokenKind::LParen)) {
      badValue(peek(), "window");
      return false;
    }
    advance();
    long long side[2] = {0, 0};
    for (int i = 0; i < 2; ++i) {
      const Token &t = peek();
      const char *name = i == 0 ? "left" : "right";
      if (t.kind != TokenKind::Number) {
        unexpected(t, std::string("the window's ") + name + " side (an integer)");
        return false;
      }
      if (!parseInteger(t, std::string("window ") + name, side[i]))
        return false;
      if (std::string why = checkWindowSide(side[i], name); !why.empty()) {
        error(t, why, allowedHint("window"));
        return false;
      }
      advance();
      if (i == 0) {
        if (!at(TokenKind::Comma)) {
          unexpected(peek(), "',' between the window's left and right sides");
          return false;
        }
        advance();
      }
    }
    if (!at(TokenKind::RParen)) {
      unexpected(peek(), "')' after the window's right side");
      return false;
    }
    advance();
    v.window_left = static_cast<int>(side[0]);
    v.window_right = static_cast<int>(side[1]);
    return true;
  }

  /// `lowrank(R)`: the rank after the keyword (which is the current token).
  bool parseBiasRank(Variant &v) {
    advance();
    if (!at(TokenKind::LParen)) {
      unexpected(peek(), "'(' and the rank after 'lowrank', as in lowrank(16)");
      return false;
    }
    advance();
    const Token &t = peek();
    long long r = 0;
    if (t.kind != TokenKind::Number) {
      unexpected(t, "the rank of the bias factors (an integer)");
      return false;
    }
    if (!parseInteger(t, "bias rank", r))
      return false;
    if (std::string why = checkBiasRank(r); !why.empty()) {
      error(t, why, "fit a dense bias with `attngen fit-bias` to find the rank it needs");
      return false;
    }
    advance();
    if (!at(TokenKind::RParen)) {
      unexpected(peek(), "')' after the rank");
      return false;
    }
    advance();
    v.bias_rank = static_cast<int>(r);
    return true;
  }

  /// `none`, or a comma list of distinct operands q, k, v.
  bool parseSmooth(Variant &v) {
    const Token &first = peek();
    if (first.kind == TokenKind::Identifier && first.text == "none") {
      advance();
      if (at(TokenKind::Comma)) {
        error(peek(), "'none' cannot be combined with operands",
              "write 'smooth = none;' or a list such as 'smooth = q, k;'");
        return false;
      }
      v.smooth_q = v.smooth_k = v.smooth_v = false;
      return true;
    }
    bool q = false, k = false, vv = false;
    while (true) {
      const Token &t = peek();
      bool *flag = nullptr;
      if (t.kind == TokenKind::Identifier)
        flag = t.text == "q"   ? &q
               : t.text == "k" ? &k
               : t.text == "v" ? &vv
                               : nullptr;
      if (!flag) {
        if (t.kind == TokenKind::Unknown || t.kind == TokenKind::BadNumber)
          unexpected(t, "q, k or v");
        else
          badValue(t, "smooth");
        return false;
      }
      if (*flag) {
        error(t, "'" + std::string(t.text) + "' is listed twice in smooth");
        return false;
      }
      *flag = true;
      advance();
      if (!at(TokenKind::Comma))
        break;
      advance();
    }
    v.smooth_q = q;
    v.smooth_k = k;
    v.smooth_v = vv;
    return true;
  }

  std::string allowedHint(const std::string &key) const {
    if (key == "qk" || key == "pv" || key == "input" || key == "output")
      return "allowed: " + joinSpellings(dtypeDomain(key));
    if (key.rfind("granularity ", 0) == 0)
      return "allowed: " + joinSpellings(granularityDomain(key.back()));
    if (key == "smooth")
      return "allowed: none, or a comma list of q, k, v";
    if (key == "mask")
      return "allowed: none, causal";
    if (key == "layout")
      return "allowed: bhnd, bnhd";
    if (key == "lse" || key == "balance")
      return "allowed: true, false";
    if (key == "head_dim")
      return "a positive multiple of 16 up to 256";
    if (key == "gqa")
      return "an integer >= 1";
    if (key == "scale")
      return "allowed: default, or a number > 0";
    if (key == "window")
      return "(left, right): keys j with i + Nk - Nq - left <= j <= i + Nk - Nq + right; "
             "-1 leaves a side unbounded";
    if (key == "softcap")
      return "a number > 0";
    if (key == "bias")
      return "allowed: none, alibi, lowrank(R) with 1 <= R <= " + std::to_string(kMaxBiasRank) +
             ", dense";
    return "";
  }

  bool badValue(const Token &t, const std::string &key) {
    std::string shown = t.kind == TokenKind::Eof
                            ? "end of file"
                            : "'" + std::string(t.text) + "'";
    error(t, "bad value " + shown + " for '" + key + "'", allowedHint(key));
    return false;
  }
};

} // namespace

std::string ParseResult::errors() const {
  return formatDiagnostics(diagnostics);
}

ParseResult parseVariants(std::string_view source, std::string_view fileName) {
  ParseResult result;
  Parser(source, fileName, result).parseFile();
  return result;
}

ParseResult parseVariantFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ParseResult result;
    Diagnostic d;
    d.file = path;
    d.message = "cannot open file: " + std::string(std::strerror(errno));
    result.diagnostics.push_back(std::move(d));
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parseVariants(text.str(), path);
}

} // namespace attngen
