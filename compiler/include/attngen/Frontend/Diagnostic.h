//===- Diagnostic.h - Frontend errors with source context -------*- C++ -*-===//
//
// A Diagnostic is an error the frontend returns (never prints, never exits):
// where it is, what is wrong, the offending source line and a hint on how to
// fix it. str() renders it the way compilers do:
//
//   file.attn:4:8: error: unknown key 'head_dm'
//     head_dm = 128;
//     ^~~~~~~
//   hint: did you mean 'head_dim'?
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_FRONTEND_DIAGNOSTIC_H
#define ATTNGEN_FRONTEND_DIAGNOSTIC_H

#include <string>
#include <vector>

namespace attngen {

struct Diagnostic {
  std::string file;
  /// 1-based position of the offending text (column counts bytes); 0 when
  /// the diagnostic has no source position (e.g. from VariantBuilder).
  int line = 0;
  int column = 0;
  /// Bytes the caret line underlines (at least 1).
  int length = 1;
  std::string message;
  std::string snippet; ///< the source line holding the position
  std::string hint;    ///< empty when there is nothing to suggest

  /// `file:line:col: error: message`, the snippet, a caret line, `hint: ...`.
  std::string str() const;
};

/// All diagnostics, each rendered by str(), in order.
std::string formatDiagnostics(const std::vector<Diagnostic> &diagnostics);

} // namespace attngen

#endif // ATTNGEN_FRONTEND_DIAGNOSTIC_H
