//===- Sass.h - Disassembly and resource usage of a cubin (cuobjdump) -----===//
//
// Reads what the hardware will run: per kernel, the SASS instruction counts
// (is IGMMA / QGMMA / IMMA there? any local-memory LDL / STL?) and the
// resource usage (registers, stack, shared and local memory). Uses the
// cuobjdump program; none is needed to compile or launch kernels.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_SASS_H
#define ATTNGEN_RUNTIME_SASS_H

#include "attngen/runtime/Error.h"

#include <map>
#include <string>

namespace attngen {

/// cuobjdump from $ATTNGEN_CUOBJDUMP, the PATH, /usr/local/cuda/bin, or the
/// PyPI package the build installs under <source>/.deps/py ($ATTNGEN_SOURCE_DIR
/// or the source directory this was built from).
Expected<std::string> findCuobjdump();

struct KernelSass {
  std::string text;                          ///< the SASS listing
  std::map<std::string, int> opcodeCounts;   ///< base opcode (e.g. "IMMA") -> count
  std::map<std::string, int> fullOpcodeCounts; ///< with modifiers ("IMMA.16832.S8.S8")
  int registers = -1, stackBytes = -1, sharedBytes = -1, localBytes = -1;
  int count(const std::string &opcode) const;
  /// Instructions whose full opcode starts with `prefix`.
  int countPrefix(const std::string &prefix) const;
};

/// Per kernel function name.
Expected<std::map<std::string, KernelSass>> disassembleCubin(const std::string &cubin);

} // namespace attngen

#endif
