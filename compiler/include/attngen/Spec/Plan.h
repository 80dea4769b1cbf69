//===- Plan.h - A lowered kernel plan, MLIR-free ----------------*- C++ -*-===//
//
// The compiler lowers a Variant for a Target to a KernelPlan: which mainloop
// family, which tiles, and the ordered list of kernels to launch (quantization
// prologues, then the attention kernel). The plan is all the emitter and the
// runtime need: it is MLIR-free so that an AOT-emitted kernel package (plan +
// CUDA source) can be loaded by a runtime built without MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_SPEC_PLAN_H
#define ATTNGEN_SPEC_PLAN_H

#include "attngen/Spec/Variant.h"

#include <optional>
#include <string>
#include <vector>

namespace attngen {

/// A compilation target: compute capability plus the arch-specific ('a')
/// feature set that wgmma and setmaxnreg need.
struct Target {
  int sm = 90;
  bool archSpecific = true; ///< sm_90a rather than sm_90

  /// "sm_90a", "sm_89", ...
  std::string name() const;
  /// Parses "sm_80", "sm_89", "sm_90", "sm_90a"; nullopt otherwise.
  static std::optional<Target> parse(std::string_view s);
  bool hasFp8() const { return sm >= 89; }
  bool hasWgmma() const { return sm == 90 && archSpecific; }
  bool operator==(const Target &o) const {
    return sm == o.sm && archSpecific == o.archSpecific;
  }
};

/// Which mainloop template the attention kernel instantiates.
enum class Mainloop { MmaSync, Wgmma };

/// Tile configuration of the attention kernel (chosen by select-tiles).
struct Tiles {
  int blockM = 128;  ///< query rows per CTA
  int blockN = 128;  ///< key tokens per mainloop iteration
  int warps = 8;     ///< warps of the attention CTA
  int stages = 2;    ///< K/V shared-memory pipeline depth
  bool operator==(const Tiles &o) const {
    return blockM == o.blockM && blockN == o.blockN && warps == o.warps &&
           stages == o.stages;
  }
};

/// The role of one kernel of a plan; the launcher derives each grid from it.
enum class KernelRole {
  KVStats,   ///< per-chunk partial channel sums / extrema of K and V
  QuantKV,   ///< K -> 8/4-bit (smoothed), V -> transposed 8-bit or 16-bit
  QuantQ,    ///< Q -> 8/4-bit with per-token scales (when not fused)
  Attention, ///< the fused attention kernel
};

struct KernelDesc {
  KernelRole role;
  std::string symbol;  ///< extern "C" name in the emitted module
  int threads = 256;   ///< threads per CTA
  int smemBytes = 0;   ///< dynamic shared memory per CTA
};

struct KernelPlan {
  Variant variant;
  Target target;
  Mainloop mainloop = Mainloop::Wgmma;
  Tiles tiles;
  /// Tokens per KVStats chunk (one CTA reduces one chunk of one head).
  int kvChunk = 1024;
  std::vector<KernelDesc> kernels; ///< in launch order

  const KernelDesc *find(KernelRole role) const;
};

/// bias = dense: the kernel that builds the table's block map (templates'
/// mask/block_map.cuh) is in the module beside the plan's kernels, launched by
/// the runtime on request (Kernel::buildBlockMap), never by a launch.
inline constexpr const char *BlockMapSymbol = "attngen_block_map";
/// A wgmma module's constant array whose size says whether its attention kernel
/// is persistent (its CTAs loop over the tiles, templates' kernel/tile_size.h
/// sm90Persistent): two ints if so (the runtime then launches at most as many
/// CTAs as stay resident), one if not; absent (mma.sync modules): one CTA per
/// tile. Its size, not its contents, so that loading a module reads no device
/// memory (nothing synchronous, e.g. under stream capture).
inline constexpr const char *PersistentSymbol = "attngen_persistent";
inline constexpr int BlockMapThreads = 256; ///< = templates' kBlockMapThreads (the emitted source static_asserts it)

std::string_view toString(Mainloop m);
std::string_view toString(KernelRole r);
std::optional<Mainloop> parseMainloop(std::string_view s);
std::optional<KernelRole> parseKernelRole(std::string_view s);

/// Plan <-> JSON, the manifest of an emitted kernel package. `fromJson`
/// returns nullopt and sets `error` on malformed input.
std::string toJson(const KernelPlan &plan);
std::optional<KernelPlan> planFromJson(std::string_view json, std::string &error);

} // namespace attngen

#endif // ATTNGEN_SPEC_PLAN_H
