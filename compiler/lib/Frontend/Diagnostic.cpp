//===- Diagnostic.cpp - Rendering diagnostics ----------------------------===//
#include "attngen/Frontend/Diagnostic.h"

#include <algorithm>

namespace attngen {

std::string Diagnostic::str() const {
  std::string out = file;
  if (line > 0)
    out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": error: " + message + "\n";
  if (line > 0) {
    out += snippet + "\n";
    // Tabs are copied so the caret lines up however the terminal sets them.
    int pad = std::max(column - 1, 0);
    for (int i = 0; i < pad; ++i)
      out += i < static_cast<int>(snippet.size()) && snippet[i] == '\t' ? '\t'
                                                                        : ' ';
    out += '^';
    out.append(static_cast<size_t>(std::max(length - 1, 0)), '~');
    out += '\n';
  }
  if (!hint.empty())
    out += "hint: " + hint + "\n";
  return out;
}

std::string formatDiagnostics(const std::vector<Diagnostic> &diagnostics) {
  std::string out;
  for (const Diagnostic &d : diagnostics)
    out += d.str();
  return out;
}

} // namespace attngen
