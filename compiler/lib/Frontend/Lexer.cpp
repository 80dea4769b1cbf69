//===- Lexer.cpp - Tokens of the variant DSL -----------------------------===//
#include "attngen/Frontend/Lexer.h"

#include "Domains.h"

namespace attngen {

using frontend::isIdentChar;
using frontend::isIdentStart;

static bool isDigit(char c) { return c >= '0' && c <= '9'; }

void Lexer::skipSpaceAndComments() {
  while (pos < src.size()) {
    char c = src[pos];
    if (c == '\n') {
      ++pos;
      ++line;
      lineStart = pos;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++pos;
    } else if (c == '#') {
      while (pos < src.size() && src[pos] != '\n')
        ++pos;
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skipSpaceAndComments();
  Token t;
  t.offset = pos;
  t.line = line;
  t.column = static_cast<int>(pos - lineStart) + 1;
  if (pos >= src.size()) {
    t.kind = TokenKind::Eof;
    t.text = src.substr(pos, 0);
    return t;
  }
  size_t start = pos;
  char c = src[pos];
  if (isIdentStart(c)) {
    while (pos < src.size() && isIdentChar(src[pos]))
      ++pos;
    t.kind = TokenKind::Identifier;
  } else if (isDigit(c) ||
             (c == '-' && pos + 1 < src.size() && isDigit(src[pos + 1]))) {
    // Signs are lexed so that `gqa = -1` is reported as a value out of its
    // domain rather than as a stray character.
    t.kind = TokenKind::Number;
    if (c == '-')
      ++pos;
    auto digits = [&] {
      size_t from = pos;
      while (pos < src.size() && isDigit(src[pos]))
        ++pos;
      return pos > from;
    };
    digits();
    if (pos < src.size() && src[pos] == '.') {
      ++pos;
      if (!digits())
        t.kind = TokenKind::BadNumber;
    }
    if (pos < src.size() && (src[pos] == 'e' || src[pos] == 'E')) {
      ++pos;
      if (pos < src.size() && (src[pos] == '+' || src[pos] == '-'))
        ++pos;
      if (!digits())
        t.kind = TokenKind::BadNumber;
    }
    // A number glued to letters or more dots (`12x`, `1.2.3`) is one bad
    // number, not a number followed by an identifier.
    if (pos < src.size() && (isIdentChar(src[pos]) || src[pos] == '.')) {
      t.kind = TokenKind::BadNumber;
      while (pos < src.size() && (isIdentChar(src[pos]) || src[pos] == '.'))
        ++pos;
    }
  } else {
    ++pos;
    switch (c) {
    case '{':
      t.kind = TokenKind::LBrace;
      break;
    case '}':
      t.kind = TokenKind::RBrace;
      break;
    case '=':
      t.kind = TokenKind::Equal;
      break;
    case ';':
      t.kind = TokenKind::Semicolon;
      break;
    case ',':
      t.kind = TokenKind::Comma;
      break;
    case '(':
      t.kind = TokenKind::LParen;
      break;
    case ')':
      t.kind = TokenKind::RParen;
      break;
    default:
      t.kind = TokenKind::Unknown;
      // Keep a multi-byte UTF-8 character whole for the message.
      while (pos < src.size() &&
             (static_cast<unsigned char>(src[pos]) & 0xC0) == 0x80 &&
             (static_cast<unsigned char>(c) & 0x80))
        ++pos;
      break;
    }
  }
  t.text = src.substr(start, pos - start);
  return t;
}

std::vector<Token> tokenize(std::string_view source) {
  Lexer lexer(source);
  std::vector<Token> tokens;
  do
    tokens.push_back(lexer.next());
  while (tokens.back().kind != TokenKind::Eof);
  return tokens;
}

std::string_view describe(TokenKind kind) {
  switch (kind) {
  case TokenKind::Identifier:
    return "identifier";
  case TokenKind::Number:
    return "number";
  case TokenKind::BadNumber:
    return "malformed number";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::Equal:
    return "'='";
  case TokenKind::Semicolon:
    return "';'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::Unknown:
    return "unexpected character";
  case TokenKind::Eof:
    return "end of file";
  }
  return "?";
}

} // namespace attngen
