//===- TemplateBundle.h - Device templates embedded in the binary ---------===//
//
// Every header under templates/attngen/ is compiled into the library as a
// string (cmake/EmbedTemplates.cmake) and handed to NVRTC as an in-memory
// header, so that nothing is looked up on disk at run time.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_TEMPLATEBUNDLE_H
#define ATTNGEN_RUNTIME_TEMPLATEBUNDLE_H

namespace attngen {

struct EmbeddedHeader {
  const char *name;   ///< include name, e.g. "attngen/kernel/params.h"
  const char *source; ///< file contents
};

/// All embedded headers, sorted by name.
const EmbeddedHeader *templateHeaders(int *count);
/// SHA-256 of the whole bundle (names and contents); part of every cache key.
const char *templateBundleHash();

} // namespace attngen

#endif
