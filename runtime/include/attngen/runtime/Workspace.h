//===- Workspace.h - Regions of the scratch buffer of a plan ----*- C++ -*-===//
//
// The prologue kernels write quantized operands, scales and channel
// statistics into one caller-provided buffer that the attention kernel reads.
// This computes every region's offset and size (docs/ARCHITECTURE.md, table
// "Workspace"), each 256-byte aligned, and fills AttnParams's pointers.
// Regions a plan does not use have size 0 and a null pointer.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_WORKSPACE_H
#define ATTNGEN_RUNTIME_WORKSPACE_H

#include "attngen/Spec/Plan.h"
#include "attngen/kernel/params.h"
#include "attngen/runtime/Error.h"
#include "attngen/runtime/Problem.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace attngen {

constexpr size_t WorkspaceAlignment = 256;

/// One region; `field` names the AttnParams member it feeds.
struct WorkspaceRegion {
  const char *field;
  size_t offset = 0;
  size_t bytes = 0;
};

struct WorkspaceLayout {
  int seqQPad = 0, seqKPad = 0; ///< round_up(seq, blockM / blockN)
  int kvChunks = 0;             ///< ceil(seq_k / kvChunk)
  int qChunks = 0;              ///< ceil(seq_q / kvChunk) when balancing, else 0
  size_t totalBytes = 0;
  /// Every AttnParams workspace field, in the order of params.h.
  std::vector<WorkspaceRegion> regions;

  const WorkspaceRegion *find(const char *field) const;
};

/// The layout of `plan` for `problem`; an error when a shape is not positive
/// or the padded lengths overflow an int.
Expected<WorkspaceLayout> computeWorkspace(const KernelPlan &plan, const Problem &problem);

/// Sets the workspace pointers of `params` to `base` + each region's offset
/// (null for empty regions) and the padded lengths and chunk count.
void fillWorkspace(AttnParams &params, const WorkspaceLayout &layout, void *base);

} // namespace attngen

#endif // ATTNGEN_RUNTIME_WORKSPACE_H
