// The variant DSL: lexer, parser, diagnostics, printer, builder, examples.
#include "catch.h"

#include "attngen/Frontend/Builder.h"
#include "attngen/Frontend/Lexer.h"
#include "attngen/Frontend/Parser.h"
#include "attngen/Frontend/Printer.h"

#include <cstdlib>
#include <dirent.h>
#include <random>

using namespace attngen;

namespace {

Variant parseOne(const std::string &text) {
  ParseResult r = parseVariants(text, "t.attn");
  INFO(text << "\n" << r.errors());
  REQUIRE(r.ok());
  REQUIRE(r.variants.size() == 1);
  return r.variants[0];
}

/// Parses `text`, which must fail, and returns its diagnostics.
std::vector<Diagnostic> errorsOf(const std::string &text) {
  ParseResult r = parseVariants(text, "t.attn");
  INFO(text);
  REQUIRE_FALSE(r.ok());
  return r.diagnostics;
}

/// The one diagnostic of `text`, checked for position and message.
Diagnostic oneError(const std::string &text, int line, int column,
                    const std::string &message) {
  std::vector<Diagnostic> d = errorsOf(text);
  INFO(text << "\n" << formatDiagnostics(d));
  REQUIRE(d.size() == 1);
  CHECK(d[0].file == "t.attn");
  CHECK(d[0].line == line);
  CHECK(d[0].column == column);
  CHECK(d[0].message.find(message) != std::string::npos);
  return d[0];
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

std::string sourceDir() {
  if (const char *dir = std::getenv("ATTNGEN_SOURCE_DIR"))
    return dir;
  std::string file = __FILE__; // [<root>/]tests/unit/FrontendTest.cpp
  size_t at = file.rfind("tests/unit/");
  return at == 0 || at == std::string::npos ? "." : file.substr(0, at - 1);
}

} // namespace

TEST_CASE("lexer tokens", "[frontend][lexer]") {
  std::vector<Token> t = tokenize("variant a_1 { # c {\n  x = -1.5e-3, 7;}\n$");
  std::vector<TokenKind> kinds;
  for (const Token &tok : t)
    kinds.push_back(tok.kind);
  using K = TokenKind;
  CHECK(kinds == std::vector<K>{K::Identifier, K::Identifier, K::LBrace,
                                K::Identifier, K::Equal, K::Number, K::Comma,
                                K::Number, K::Semicolon, K::RBrace, K::Unknown,
                                K::Eof});
  CHECK(t[1].text == "a_1");
  CHECK(t[3].line == 2);
  CHECK(t[3].column == 3);
  CHECK(t[5].text == "-1.5e-3");
  CHECK(t[10].line == 3);
  CHECK(t[10].column == 1);
  for (const char *bad : {"12x", "1.2.3", "1e", "1.", "3e+", "0x10"}) {
    std::vector<Token> b = tokenize(bad);
    REQUIRE(b.size() == 2);
    CHECK(b[0].kind == K::BadNumber);
    CHECK(b[0].text == bad);
  }
  // A lone minus is not a number.
  CHECK(tokenize("- 1")[0].kind == K::Unknown);
  // A UTF-8 character is one unknown token.
  std::vector<Token> u = tokenize("\xc3\xa9x");
  CHECK(u[0].kind == K::Unknown);
  CHECK(u[0].text == "\xc3\xa9");
  CHECK(u[1].text == "x");
}

TEST_CASE("every key is parsed", "[frontend][parser]") {
  Variant v = parseOne(R"(
    variant everything {
      qk = fp16;
      pv = bf16;
      granularity q = token;
      granularity k = thread;
      granularity v = tensor;
      smooth = q, v;
      mask = causal;
      head_dim = 96;
      layout = bnhd;
      gqa = 6;
      input = fp16; output = fp32;
      lse = true;
      scale = 0.0625;
    })");
  CHECK(v.name == "everything");
  CHECK(v.qk == DType::F16);
  CHECK(v.pv == DType::BF16);
  CHECK(v.q_granularity == Granularity::Token);
  CHECK(v.k_granularity == Granularity::Thread);
  CHECK(v.v_granularity == Granularity::Tensor);
  CHECK(v.smooth_q);
  CHECK_FALSE(v.smooth_k);
  CHECK(v.smooth_v);
  CHECK_FALSE(v.balance); // omitted with 16-bit QK: off
  CHECK(v.mask == MaskKind::Causal);
  CHECK(v.head_dim == 96);
  CHECK(v.layout == Layout::BNHD);
  CHECK(v.gqa == 6);
  CHECK(v.input == DType::F16);
  CHECK(v.output == DType::F32);
  CHECK(v.lse);
  REQUIRE(v.scale);
  CHECK(*v.scale == 0.0625);
}

TEST_CASE("omitted keys take the Variant defaults", "[frontend][parser]") {
  Variant v = parseOne("variant d {}");
  Variant expected;
  expected.name = "d";
  CHECK(v == expected);
  CHECK_FALSE(v.scale);

  Variant w = parseOne("variant w { qk = int4; }");
  expected.name = "w";
  expected.qk = DType::I4;
  CHECK(w == expected);
}

TEST_CASE("value spellings", "[frontend][parser]") {
  CHECK(parseOne("variant a { pv = e4m3; }").pv == DType::E4M3);
  CHECK(parseOne("variant a { qk = fp8e4m3; }").qk == DType::E4M3);
  CHECK(parseOne("variant a { qk = int8; }").qk == DType::I8);
  Variant s = parseOne("variant a { smooth = none; }");
  CHECK_FALSE((s.smooth_q || s.smooth_k || s.smooth_v));
  s = parseOne("variant a { smooth = v,k , q; }");
  CHECK((s.smooth_q && s.smooth_k && s.smooth_v));
  s = parseOne("variant a { smooth = k; }");
  CHECK((!s.smooth_q && s.smooth_k && !s.smooth_v));
  CHECK_FALSE(parseOne("variant a { scale = default; }").scale);
  CHECK(*parseOne("variant a { scale = 1e-3; }").scale == 1e-3);
  CHECK(*parseOne("variant a { scale = 2; }").scale == 2.0);
  CHECK(parseOne("variant a { head_dim = 16; }").head_dim == 16);
  CHECK(parseOne("variant a { head_dim = 256; }").head_dim == 256);
  CHECK_FALSE(parseOne("variant a { lse = false; }").lse);
  CHECK(parseOne("variant a { mask = none; }").mask == MaskKind::None);
  CHECK(parseOne("variant a { layout = bhnd; }").layout == Layout::BHND);
}

TEST_CASE("balance: explicit values and the default per QK type", "[frontend][parser]") {
  CHECK(parseOne("variant a { }").balance);
  CHECK(parseOne("variant a { qk = int4; }").balance);
  CHECK(parseOne("variant a { qk = fp8; }").balance);
  CHECK_FALSE(parseOne("variant a { qk = bf16; }").balance);
  CHECK_FALSE(parseOne("variant a { qk = fp16; }").balance);
  CHECK_FALSE(parseOne("variant a { balance = false; }").balance);
  // Explicit wins over the 16-bit default (canonicalize clears it later).
  CHECK(parseOne("variant a { qk = bf16; balance = true; }").balance);
  ParseResult r = parseVariants("variant a { balance = yes; }", "t.attn");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(contains(r.diagnostics[0].message, "bad value 'yes' for 'balance'"));
  CHECK(contains(r.diagnostics[0].hint, "true, false"));
  r = parseVariants("variant a { balanse = true; }", "t.attn");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(contains(r.diagnostics[0].hint, "balance"));
}

TEST_CASE("several variants per file, with comments", "[frontend][parser]") {
  ParseResult r = parseVariants(R"(# leading comment
variant first { # trailing comment with { and ;
  qk = int8; # pv = fp8;
}
# between
variant second{mask=causal;gqa=4;}
variant third {
  head_dim = 64;
} # no newline at the end)",
                                "multi.attn");
  INFO(r.errors());
  REQUIRE(r.ok());
  REQUIRE(r.variants.size() == 3);
  CHECK(r.variants[0].name == "first");
  CHECK(r.variants[0].pv == DType::BF16); // the commented-out key is ignored
  CHECK(r.variants[1].mask == MaskKind::Causal);
  CHECK(r.variants[1].gqa == 4);
  CHECK(r.variants[2].head_dim == 64);
  REQUIRE(r.locations.size() == 3);
  CHECK(r.locations[1].line == 6);
  CHECK(r.locations[1].column == 1);
  CHECK(parseVariants("  # only a comment").ok());
  CHECK(parseVariants("").variants.empty());
}

TEST_CASE("printer output is canonical", "[frontend][printer]") {
  Variant v;
  v.name = "default";
  CHECK(printVariant(v) == R"(variant default {
  qk = int8;
  pv = bf16;
  granularity q = warp;
  granularity k = block;
  granularity v = channel;
  smooth = k;
  balance = true;
  mask = none;
  head_dim = 128;
  layout = bhnd;
  gqa = 1;
  input = bf16;
  output = bf16;
  lse = false;
  scale = default;
}
)");
  v.smooth_k = false;
  v.scale = 0.1;
  std::string text = printVariant(v);
  CHECK(contains(text, "  smooth = none;\n"));
  CHECK(contains(text, "  scale = 0.1;\n"));
  v.smooth_q = v.smooth_k = v.smooth_v = true;
  CHECK(contains(printVariant(v), "  smooth = q, k, v;\n"));
  CHECK(formatDouble(1e-300) == "1e-300");
  CHECK(formatDouble(0.125) == "0.125");
  CHECK(printVariants({v, v}) == printVariant(v) + "\n" + printVariant(v));
}

TEST_CASE("print/parse round-trips random variants", "[frontend][printer]") {
  std::mt19937 rng(1234567);
  auto pick = [&](int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(rng);
  };
  const DType qk[] = {DType::I4, DType::I8, DType::E4M3, DType::F16,
                      DType::BF16};
  const DType pv[] = {DType::I8, DType::E4M3, DType::F16, DType::BF16};
  const Granularity rows[] = {Granularity::Tensor, Granularity::Block,
                              Granularity::Warp, Granularity::Thread,
                              Granularity::Token};
  const DType out[] = {DType::F16, DType::BF16, DType::F32};
  for (int iter = 0; iter < 500; ++iter) {
    Variant v;
    std::string name(1, "abcXYZ_"[pick(7)]);
    for (int k = pick(12); k > 0; --k)
      name += "az09_Q"[pick(6)];
    v.name = name;
    v.qk = qk[pick(5)];
    v.pv = pv[pick(4)];
    v.q_granularity = rows[pick(5)];
    v.k_granularity = rows[pick(5)];
    v.v_granularity = pick(2) ? Granularity::Channel : Granularity::Tensor;
    v.smooth_q = pick(2);
    v.smooth_k = pick(2);
    v.smooth_v = pick(2);
    v.balance = pick(2);
    v.mask = pick(2) ? MaskKind::Causal : MaskKind::None;
    v.head_dim = 16 * (1 + pick(16));
    v.layout = pick(2) ? Layout::BNHD : Layout::BHND;
    v.gqa = 1 + pick(64);
    v.input = pick(2) ? DType::F16 : DType::BF16;
    v.output = out[pick(3)];
    v.lse = pick(2);
    switch (pick(3)) {
    case 0:
      v.scale.reset();
      break;
    case 1: // any positive finite double, normal or not
      v.scale = std::ldexp(std::uniform_real_distribution<double>(1, 2)(rng),
                           pick(2100) - 1074);
      break;
    default:
      v.scale = 1.0 / std::sqrt(static_cast<double>(v.head_dim));
    }
    INFO("seed iteration " << iter);
    REQUIRE(validateVariant(v).empty());
    std::string text = printVariant(v);
    ParseResult r = parseVariants(text);
    INFO(text << r.errors());
    REQUIRE(r.ok());
    REQUIRE(r.variants.size() == 1);
    REQUIRE(r.variants[0] == v);
    REQUIRE(printVariant(r.variants[0]) == text);
  }
}

TEST_CASE("builder", "[frontend][builder]") {
  Variant v = VariantBuilder("sage")
                  .qk(DType::I8)
                  .pv(DType::E4M3)
                  .causal()
                  .headDim(128)
                  .gqa(4)
                  .smooth(false, true, true)
                  .vGranularity(Granularity::Channel)
                  .layout(Layout::BNHD)
                  .input(DType::F16)
                  .output(DType::F32)
                  .lse()
                  .scale(0.25)
                  .build();
  Variant parsed = parseOne(R"(variant sage {
    qk = int8; pv = fp8; mask = causal; head_dim = 128; gqa = 4;
    smooth = k, v; granularity v = channel; layout = bnhd;
    input = fp16; output = fp32; lse = true; scale = 0.25; })");
  CHECK(v == parsed);
  CHECK(VariantBuilder("x").scale(2).defaultScale().build().scale ==
        std::nullopt);
  CHECK(VariantBuilder().build() == Variant());
  CHECK(VariantBuilder("d").validate().empty());

  std::vector<Diagnostic> d = VariantBuilder("9bad")
                                  .qk(DType::F32)
                                  .pv(DType::I4)
                                  .qGranularity(Granularity::Channel)
                                  .vGranularity(Granularity::Token)
                                  .headDim(100)
                                  .gqa(0)
                                  .input(DType::I8)
                                  .output(DType::E4M3)
                                  .scale(-1)
                                  .validate();
  std::string all = formatDiagnostics(d);
  INFO(all);
  REQUIRE(d.size() == 10);
  CHECK(contains(all, "<builder>: error: variant name '9bad'"));
  CHECK(contains(
      all, "qk cannot be fp32\nhint: allowed: int4, int8, fp8, fp16, bf16"));
  CHECK(contains(all, "pv cannot be int4"));
  CHECK(contains(all, "granularity q cannot be channel"));
  CHECK(contains(
      all, "granularity v cannot be token\nhint: allowed: channel, tensor"));
  CHECK(contains(
      all, "head_dim must be a positive multiple of 16 up to 256, not 100"));
  CHECK(contains(all, "gqa must be at least 1, not 0"));
  CHECK(contains(all, "input cannot be int8"));
  CHECK(contains(all, "output cannot be fp8"));
  CHECK(contains(all, "scale must be a finite number greater than 0"));

  std::vector<Diagnostic> diags;
  CHECK_FALSE(VariantBuilder("ok").headDim(48).build(diags) == std::nullopt);
  CHECK(diags.empty());
  CHECK(VariantBuilder("ok").headDim(272).build(diags) == std::nullopt);
  CHECK(diags.size() == 1);
  CHECK_FALSE(VariantBuilder("x").scale(std::nan("")).validate().empty());
}

TEST_CASE("diagnostic rendering", "[frontend][diagnostics]") {
  Diagnostic d;
  d.file = "f.attn";
  d.line = 3;
  d.column = 5;
  d.length = 4;
  d.message = "bad value 'int9' for 'qk'";
  d.snippet = "\tqk = int9;";
  d.hint = "allowed: int4";
  CHECK(d.str() == "f.attn:3:5: error: bad value 'int9' for 'qk'\n"
                   "\tqk = int9;\n"
                   "\t   ^~~~\n"
                   "hint: allowed: int4\n");
  d.hint.clear();
  d.line = 0;
  CHECK(d.str() == "f.attn: error: bad value 'int9' for 'qk'\n");
}

TEST_CASE("diagnostics: unknown key", "[frontend][diagnostics]") {
  Diagnostic d = oneError("variant a {\n  head_dm = 128;\n}", 2, 3,
                          "unknown key 'head_dm'");
  CHECK(d.hint == "did you mean 'head_dim'?");
  CHECK(d.length == 7);
  CHECK(d.str() == "t.attn:2:3: error: unknown key 'head_dm'\n"
                   "  head_dm = 128;\n"
                   "  ^~~~~~~\n"
                   "hint: did you mean 'head_dim'?\n");
  CHECK(oneError("variant a { granularty q = warp; }", 1, 13, "unknown key")
            .hint == "did you mean 'granularity'?");
  CHECK(oneError("variant a { QK = int8; }", 1, 13, "unknown key").hint ==
        "did you mean 'qk'?");
  // Nothing close: list the keys instead of a misleading guess.
  CHECK(contains(
      oneError("variant a { bananas = 1; }", 1, 13, "unknown key").hint,
      "known keys: qk, pv, granularity,"));
  Diagnostic g = oneError("variant a { granularity x = warp; }", 1, 25,
                          "unknown operand 'x' of granularity");
  CHECK(g.hint == "granularity applies to q, k or v");
}

TEST_CASE("diagnostics: bad value", "[frontend][diagnostics]") {
  Diagnostic d = oneError("variant a {\n  qk = int9;\n}", 2, 8,
                          "bad value 'int9' for 'qk'");
  CHECK(d.hint == "allowed: int4, int8, fp8, fp16, bf16");
  CHECK(d.length == 4);
  CHECK(oneError("variant a { pv = int4; }", 1, 18, "bad value 'int4' for 'pv'")
            .hint == "allowed: int8, fp8, fp16, bf16");
  CHECK(oneError("variant a { output = int8; }", 1, 22, "for 'output'").hint ==
        "allowed: fp16, bf16, fp32");
  CHECK(oneError("variant a { input = fp32; }", 1, 21, "for 'input'").hint ==
        "allowed: fp16, bf16");
  CHECK(oneError("variant a { granularity v = warp; }", 1, 29,
                 "bad value 'warp' for 'granularity v'")
            .hint == "allowed: channel, tensor");
  CHECK(oneError("variant a { granularity q = channel; }", 1, 29,
                 "for 'granularity q'")
            .hint == "allowed: tensor, block, warp, thread, token");
  CHECK(oneError("variant a { mask = sliding; }", 1, 20, "for 'mask'").hint ==
        "allowed: none, causal");
  CHECK(oneError("variant a { layout = bshd; }", 1, 22, "for 'layout'").hint ==
        "allowed: bhnd, bnhd");
  CHECK(oneError("variant a { lse = 1; }", 1, 19, "bad value '1' for 'lse'")
            .hint == "allowed: true, false");
  CHECK(oneError("variant a { qk = 8; }", 1, 18, "bad value '8'").hint ==
        "allowed: int4, int8, fp8, fp16, bf16");
  CHECK(oneError("variant a { smooth = k, x; }", 1, 25,
                 "bad value 'x' for 'smooth'")
            .hint == "allowed: none, or a comma list of q, k, v");
  oneError("variant a { smooth = k, k; }", 1, 25, "'k' is listed twice");
  oneError("variant a { smooth = none, k; }", 1, 26,
           "'none' cannot be combined");
  oneError("variant a { smooth = k,; }", 1, 24, "bad value ';' for 'smooth'");
  oneError("variant a { head_dim = 100; }", 1, 24,
           "head_dim must be a positive multiple of 16 up to 256, not 100");
  oneError("variant a { head_dim = 0; }", 1, 24, "not 0");
  oneError("variant a { head_dim = 512; }", 1, 24, "not 512");
  oneError("variant a { head_dim = 64.0; }", 1, 24,
           "head_dim must be an integer, not '64.0'");
  oneError("variant a { head_dim = big; }", 1, 24, "must be an integer");
  oneError("variant a { gqa = 0; }", 1, 19, "gqa must be at least 1, not 0");
  oneError("variant a { gqa = -2; }", 1, 19, "gqa must be at least 1, not -2");
  CHECK(oneError("variant a { scale = 0; }", 1, 21,
                 "scale must be a finite number greater than 0")
            .hint == "write 'scale = default;' for 1/sqrt(head_dim)");
  oneError("variant a { scale = -0.5; }", 1, 21, "greater than 0");
  oneError("variant a { scale = inf; }", 1, 21, "bad value 'inf' for 'scale'");
  CHECK(
      oneError("variant a { qk = ; }", 1, 18, "missing value for 'qk'").hint ==
      "allowed: int4, int8, fp8, fp16, bf16");
}

TEST_CASE("diagnostics: duplicate key", "[frontend][diagnostics]") {
  Diagnostic d =
      oneError("variant a {\n  qk = int8;\n  pv = fp8;\n  qk = fp8;\n}", 4, 3,
               "duplicate key 'qk'");
  CHECK(d.hint == "first set at line 2, column 3");
  Diagnostic g =
      oneError("variant a { granularity k = warp;\n granularity  k = block; }",
               2, 2, "duplicate key 'granularity k'");
  CHECK(g.hint == "first set at line 1, column 13");
  CHECK(g.length == 14); // `granularity  k`
  // Different operands are different keys.
  CHECK(
      parseVariants("variant a { granularity q = warp; granularity k = warp; }")
          .ok());
  Diagnostic v = oneError("variant a {}\nvariant a {}", 2, 9,
                          "duplicate variant name 'a'");
  CHECK(v.hint == "first defined at line 1, column 9");
}

TEST_CASE("diagnostics: missing ';' and '}'", "[frontend][diagnostics]") {
  Diagnostic d = oneError("variant a {\n  qk = int8\n  pv = fp8;\n}", 2, 12,
                          "expected ';' after the value of 'qk'");
  CHECK(d.hint == "end each statement with ';'");
  CHECK(d.snippet == "  qk = int8");
  // The statement after a missing ';' still counts.
  ParseResult r = parseVariants("variant a {\n  qk = int8\n  pv = int9;\n}");
  REQUIRE(r.diagnostics.size() == 2);
  CHECK(r.diagnostics[1].line == 3);
  CHECK(contains(r.diagnostics[1].message, "bad value 'int9'"));
  oneError("variant a { lse = true }", 1, 23, "expected ';'");

  Diagnostic m =
      oneError("variant a {\n  qk = int8;\nvariant b {\n  pv = fp16;\n}", 3, 1,
               "missing '}' before the next variant");
  CHECK(m.hint == "close variant 'a' (opened at line 1) with '}'");
  // The next block is parsed on its own.
  r = parseVariants("variant a {\nvariant b { pv = fp16; }");
  REQUIRE(r.variants.size() == 1);
  CHECK(r.variants[0].name == "b");
  CHECK(r.variants[0].pv == DType::F16);
}

TEST_CASE("diagnostics: unterminated block", "[frontend][diagnostics]") {
  Diagnostic d = oneError("variant a {\n  qk = int8;\n", 1, 11,
                          "unterminated block of variant 'a'");
  CHECK(d.hint == "add '}' after the last statement");
  CHECK(d.snippet == "variant a {");
}

TEST_CASE("diagnostics: bad number and unexpected character",
          "[frontend][diagnostics]") {
  Diagnostic d =
      oneError("variant a {\n  head_dim = 12x;\n}", 2, 14, "bad number '12x'");
  CHECK(d.length == 3);
  CHECK(d.hint == "numbers look like 128, 0.125 or 1e-3");
  oneError("variant a { scale = 1.2.3; }", 1, 21, "bad number '1.2.3'");
  oneError("variant a { scale = 1e999; }", 1, 21,
           "bad number '1e999' (out of the range");
  oneError("variant a { gqa = 99999999999999999999; }", 1, 19,
           "(out of range)");
  oneError("variant a { gqa = 3000000000; }", 1, 19, "(out of range)");

  Diagnostic u = oneError("variant a {\n  head_dim = 128$;\n}", 2, 17,
                          "unexpected character '$'");
  CHECK(u.snippet == "  head_dim = 128$;");
  Diagnostic c =
      oneError("variant a { qk: int8; }", 1, 15, "unexpected character ':'");
  CHECK(c.hint == "keys and values are separated by '='");
  // A stray character before a key costs only itself.
  ParseResult r = parseVariants("variant a { @qk = fp16; }");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].column == 13);
  oneError("variant a { qk int8; }", 1, 16,
           "expected '=' after 'qk', found 'int8'");
  oneError("variant a { = int8; }", 1, 13, "expected a key, found '='");
  oneError("hello a {}", 1, 1, "expected 'variant', found 'hello'");
  CHECK(oneError("}", 1, 1, "expected 'variant', found '}'").hint ==
        "no block is open here");
  oneError("variant {}", 1, 9,
           "expected a variant name after 'variant', found '{'");
  oneError("variant a qk = int8; }", 1, 11,
           "expected '{' after the variant name");
}

TEST_CASE("diagnostics: several errors in one file",
          "[frontend][diagnostics]") {
  ParseResult r = parseVariants(R"(variant good { qk = fp16; }
variant bad {
  qk = int9;
  hed_dim = 64;
  gqa = 0;
  pv = fp8
  mask = causal;
  mask = none;
}
variant alsogood { pv = fp16; }
)",
                                "many.attn");
  INFO(r.errors());
  REQUIRE(r.diagnostics.size() == 5);
  CHECK(r.diagnostics[0].line == 3);
  CHECK(r.diagnostics[1].line == 4);
  CHECK(r.diagnostics[2].line == 5);
  CHECK(r.diagnostics[3].line == 6); // missing ';'
  CHECK(r.diagnostics[4].line == 8); // duplicate mask
  CHECK(contains(r.errors(), "many.attn:4:3: error: unknown key 'hed_dim'"));
  // The variants without errors are still returned.
  REQUIRE(r.variants.size() == 2);
  CHECK(r.variants[0].name == "good");
  CHECK(r.variants[1].name == "alsogood");
}

TEST_CASE("parseVariantFile", "[frontend]") {
  ParseResult missing = parseVariantFile("/nonexistent/dir/x.attn");
  REQUIRE(missing.diagnostics.size() == 1);
  CHECK(missing.diagnostics[0].file == "/nonexistent/dir/x.attn");
  CHECK(contains(missing.diagnostics[0].str(),
                 "/nonexistent/dir/x.attn: error: cannot open file"));

  ParseResult def = parseVariantFile(sourceDir() + "/examples/default.attn");
  INFO(def.errors());
  REQUIRE(def.ok());
  REQUIRE(def.variants.size() == 1);
  // The product default is the Variant default with per-token Q and K scales.
  Variant expected;
  expected.name = def.variants[0].name;
  expected.q_granularity = Granularity::Token;
  expected.k_granularity = Granularity::Token;
  CHECK(def.variants[0] == expected);
}

TEST_CASE("every example parses", "[frontend]") {
  std::string dir = sourceDir() + "/examples";
  DIR *d = opendir(dir.c_str());
  REQUIRE(d != nullptr);
  int files = 0;
  while (dirent *e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() < 5 || name.substr(name.size() - 5) != ".attn")
      continue;
    ++files;
    ParseResult r = parseVariantFile(dir + "/" + name);
    INFO(name << "\n" << r.errors());
    CHECK(r.ok());
    CHECK_FALSE(r.variants.empty());
    for (const Variant &v : r.variants)
      CHECK(validateVariant(v).empty());
  }
  closedir(d);
  CHECK(files >= 7);
}

TEST_CASE("mutated sources never crash and report sane positions",
          "[frontend][fuzz]") {
  const std::string base =
      printVariant(Variant()) + "variant b { smooth = q, v; scale = 1e-2; }\n";
  const std::string alphabet = "{}=;,#-.e9 \n\tqkvariantxyz$:\xc3\xa9";
  std::mt19937 rng(77);
  auto pick = [&](size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s = base;
    for (int edits = 1 + static_cast<int>(pick(4)); edits > 0; --edits) {
      size_t at = pick(s.size());
      switch (pick(3)) {
      case 0:
        s.erase(at, 1 + pick(3));
        break;
      case 1:
        s.insert(at, 1, alphabet[pick(alphabet.size())]);
        break;
      default:
        s[at] = alphabet[pick(alphabet.size())];
      }
    }
    ParseResult r = parseVariants(s, "fuzz.attn");
    INFO(s << "\n" << r.errors());
    int lines = 1;
    for (char c : s)
      lines += c == '\n';
    for (const Diagnostic &d : r.diagnostics) {
      REQUIRE(d.line >= 1);
      REQUIRE(d.line <= lines);
      REQUIRE(d.column >= 1);
      REQUIRE(static_cast<size_t>(d.column) <= d.snippet.size() + 1);
      REQUIRE(!d.message.empty());
    }
    // Whatever parsed is a valid variant whose text round-trips.
    for (const Variant &v : r.variants) {
      REQUIRE(validateVariant(v).empty());
      ParseResult again = parseVariants(printVariant(v));
      REQUIRE(again.ok());
      REQUIRE(again.variants[0] == v);
    }
  }
}
