//===- Launch.h - Checked launch arguments and grids ------------*- C++ -*-===//
//
// Everything a launch needs that does not touch the driver: validation of the
// caller's shapes, pointers and strides (each failure a precise message), the
// AttnParams block, and each kernel's grid (docs/ARCHITECTURE.md, "Grids").
// Kept apart from the driver so that it is tested on machines without a GPU.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_LAUNCH_H
#define ATTNGEN_RUNTIME_LAUNCH_H

#include "attngen/Spec/Plan.h"
#include "attngen/kernel/params.h"
#include "attngen/runtime/Error.h"
#include "attngen/runtime/Problem.h"
#include "attngen/runtime/Workspace.h"

#include <cstddef>

namespace attngen {

/// Byte alignment the prologue loads and epilogue stores need of every
/// caller tensor's base and of each of its strides (16-byte vector accesses).
constexpr size_t TensorAlignment = 16;

/// The largest grid.y / grid.z the hardware accepts (heads, batch).
constexpr int MaxGridYZ = 65535;

/// Checks the problem and tensors against the plan; `workspaceBytes` is the
/// size of the buffer at `workspace` (SIZE_MAX when the caller does not say).
Status validateLaunch(const KernelPlan &plan, const Problem &problem, const Tensors &tensors,
                      const void *workspace, size_t workspaceBytes);

/// The parameter block of every kernel of the plan (validates first).
Expected<AttnParams> buildParams(const KernelPlan &plan, const Problem &problem,
                                 const Tensors &tensors, void *workspace,
                                 size_t workspaceBytes);

struct GridDims {
  unsigned x = 1, y = 1, z = 1;
};

/// The grid of the kernel of `role` for `params` (after buildParams).
/// The wgmma attention kernel numbers its blockM x head x batch tiles on a 1-D
/// grid of min(tiles, maxCtas) CTAs (maxCtas 0: one CTA per tile); a
/// persistent one (LoadedModule::persistentCtas) runs every gridDim.x-th tile, so
/// the runtime passes its resident CTAs, the others need maxCtas 0. The
/// mma.sync attention kernel and the prologues: one CTA per tile, 3-D.
GridDims gridFor(KernelRole role, const KernelPlan &plan, const AttnParams &params,
                 unsigned maxCtas = 0);

/// The block map of a dense bias (templates' mask/block_map.cuh): one byte
/// per blockM x blockN tile, [batches, heads, rows, cols] with batches = 1
/// where the table broadcasts over the batch (stride 0), else B, and heads
/// likewise; strides in bytes.
struct BlockMapGeometry {
  int batches = 0, heads = 0, rows = 0, cols = 0;
  int64_t stride[2] = {0, 0}; ///< batch, head (0 where the table broadcasts)
  size_t bytes = 0;
};

/// The map geometry of `tensors.bias_dense` for this plan's tiles; an error
/// for a plan without a dense bias or a bad problem or table.
Expected<BlockMapGeometry> blockMapGeometry(const KernelPlan &plan, const Problem &problem,
                                            const Tensors &tensors);

/// The parameters of the block map builder (its grid: gridForBlockMap of the
/// geometry, also returned through `geometry` when given).
Expected<AttnParams> buildBlockMapParams(const KernelPlan &plan, const Problem &problem,
                                         const Tensors &tensors, void *map, size_t mapBytes,
                                         BlockMapGeometry *geometry = nullptr);
GridDims gridForBlockMap(const BlockMapGeometry &g);

} // namespace attngen

#endif // ATTNGEN_RUNTIME_LAUNCH_H
