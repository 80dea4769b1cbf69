//===- Printer.h - attngen::Variant -> canonical DSL text -------*- C++ -*-===//
//
// The canonical text of a variant prints every key, in a fixed order, one per
// line, so it is a complete and stable description (the runtime keys caches
// on it). For every variant that passes validateVariant:
//   parseVariants(printVariant(v)).variants == {v}, and printing again gives
//   byte-identical text.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_FRONTEND_PRINTER_H
#define ATTNGEN_FRONTEND_PRINTER_H

#include "attngen/Spec/Variant.h"

#include <string>
#include <vector>

namespace attngen {

/// `variant NAME { ... }` with a trailing newline.
std::string printVariant(const Variant &v);

/// Variants separated by one blank line.
std::string printVariants(const std::vector<Variant> &variants);

/// The shortest decimal text that reads back (std::from_chars) to `d`.
std::string formatDouble(double d);

} // namespace attngen

#endif // ATTNGEN_FRONTEND_PRINTER_H
