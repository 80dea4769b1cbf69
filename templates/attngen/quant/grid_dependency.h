//===- grid_dependency.h - Programmatic dependent launch (sm_90) ----------===//
//
// The runtime launches QuantKV and the attention kernel with programmatic
// stream serialization: such a grid may start while the previous kernel of
// the stream still runs, so it must wait for that kernel's memory before
// reading what it wrote. The previous kernel allows the early start by
// allowDependentLaunch() (its CTAs are all resident then). Both are no-ops
// for a grid launched without the attribute and on sm_80 / 89 builds.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_QUANT_GRID_DEPENDENCY_H
#define ATTNGEN_QUANT_GRID_DEPENDENCY_H

namespace attngen {

/// Blocks until the preceding grid of the stream has finished and its memory
/// operations are visible.
__device__ __forceinline__ void waitForPrerequisiteGrid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

/// Lets the next grid of the stream (if launched as a dependent) start.
__device__ __forceinline__ void allowDependentLaunch() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

} // namespace attngen

#endif // ATTNGEN_QUANT_GRID_DEPENDENCY_H
