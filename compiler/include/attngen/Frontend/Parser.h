//===- Parser.h - The variant DSL -> attngen::Variant -----------*- C++ -*-===//
//
// A recursive-descent parser for the DSL of docs/DSL.md. It checks syntax and
// the value domain of each key (the MLIR verifier checks what a target
// supports and cross-field legality), recovers at statement boundaries and
// reports every error it finds.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_FRONTEND_PARSER_H
#define ATTNGEN_FRONTEND_PARSER_H

#include "attngen/Frontend/Diagnostic.h"
#include "attngen/Spec/Variant.h"

#include <string>
#include <string_view>
#include <vector>

namespace attngen {

struct ParseResult {
  /// The variants of the file in order; a variant whose block had an error
  /// is left out, so on failure this may hold only some of them.
  std::vector<Variant> variants;
  /// Where each variant's `variant` keyword is (parallel to `variants`).
  struct Location {
    int line = 0;
    int column = 0;
  };
  std::vector<Location> locations;
  std::vector<Diagnostic> diagnostics;

  bool ok() const { return diagnostics.empty(); }
  /// formatDiagnostics(diagnostics).
  std::string errors() const;
};

ParseResult parseVariants(std::string_view source,
                          std::string_view fileName = "<input>");

/// Reads and parses `path`; an unreadable file is a diagnostic too.
ParseResult parseVariantFile(const std::string &path);

} // namespace attngen

#endif // ATTNGEN_FRONTEND_PARSER_H
