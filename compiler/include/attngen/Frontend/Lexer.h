//===- Lexer.h - Tokens of the variant DSL ----------------------*- C++ -*-===//
//
// The DSL has identifiers, numbers and four punctuators; `#` starts a comment
// that runs to the end of the line. The lexer never fails: text it cannot
// read becomes an Unknown or BadNumber token that the parser reports with
// its position, so one pass finds several errors.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_FRONTEND_LEXER_H
#define ATTNGEN_FRONTEND_LEXER_H

#include <cstddef>
#include <string_view>
#include <vector>

namespace attngen {

enum class TokenKind {
  Identifier, ///< [A-Za-z_][A-Za-z0-9_]*
  Number,     ///< -?digits(.digits)?([eE][+-]?digits)?
  BadNumber,  ///< a number run into letters or dots, e.g. `12x`, `1.2.3`, `1e`
  LBrace,
  RBrace,
  Equal,
  Semicolon,
  Comma,
  LParen, ///< '(' of a tuple value, e.g. `window = (4096, 0);`
  RParen,
  Unknown, ///< one character (one UTF-8 sequence) the DSL has no use for
  Eof,
};

struct Token {
  TokenKind kind = TokenKind::Eof;
  std::string_view text; ///< a view into the source
  size_t offset = 0;     ///< byte offset into the source
  int line = 1;          ///< 1-based
  int column = 1;        ///< 1-based, in bytes
};

class Lexer {
public:
  explicit Lexer(std::string_view source) : src(source) {}
  /// The next token; Eof (repeatedly) at the end.
  Token next();

private:
  std::string_view src;
  size_t pos = 0;
  int line = 1;
  size_t lineStart = 0;

  void skipSpaceAndComments();
};

/// Every token of `source`, ending with one Eof token.
std::vector<Token> tokenize(std::string_view source);

/// "identifier", "number", "'{'", ... for messages.
std::string_view describe(TokenKind kind);

} // namespace attngen

#endif // ATTNGEN_FRONTEND_LEXER_H
