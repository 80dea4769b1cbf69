//===- attention.cuh - The attention kernel: dispatch by Cfg::kMainloop ----===//
//
// kMainloop 1: the warp-specialized wgmma mainloop (sm_90a, mainloop_sm90.cuh);
// 0: the mma.sync mainloop (sm_80 / 89 / 90, mainloop_sm80.cuh). Only the
// chosen one is instantiated, so an sm_80 build never sees a wgmma.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_KERNEL_ATTENTION_CUH
#define ATTNGEN_KERNEL_ATTENTION_CUH

#include "attngen/kernel/mainloop_sm80.cuh"
#include "attngen/kernel/mainloop_sm90.cuh"
#include "attngen/kernel/params.h"
#include "attngen/quant/grid_dependency.h"

namespace attngen {

/// 1 if the attention kernel's CTAs loop over tiles in a static order, 2 if
/// they take them from params.tile_counter, else 0: the emitted module's
/// attngen_persistent has 1 + this many ints, and the runtime sizes the grid
/// (and zeroes the counter) by that array's size.
template <class Cfg> constexpr int attentionPersistent() {
  if constexpr (Cfg::kMainloop == 1)
    return sm90::Sm90Shape<Cfg>::kDynamicTiles ? 2 : sm90::Sm90Shape<Cfg>::kPersistent ? 1 : 0;
  else
    return 0;
}

template <class Cfg> __device__ __forceinline__ void attention(const AttnParams &p) {
  static_assert(Cfg::kMainloop == 0 || Cfg::kMainloop == 1, "kMainloop: 0 mma.sync, 1 wgmma");
  // Launched as a dependent of the last prologue: its images must be complete.
  waitForPrerequisiteGrid();
  if constexpr (Cfg::kMainloop == 1)
    sm90::attention<Cfg>(p);
  else
    attention_sm80<Cfg>(p);
}

} // namespace attngen

#endif // ATTNGEN_KERNEL_ATTENTION_CUH
