//===- TuneSpace.h - The legal tile configurations of a variant -*- C++ -*-===//
//
// The one place that lists what the tuner may try and what select-tiles may
// accept from the tuning database: the attention kernel's tiles and the
// KVStats chunk that a variant's mainloop on an arch can run, pruned by the
// shared-memory and register budgets and, on a problem shape, by the cost
// model. `attngen tune` sweeps `tuningCandidates`; the database rejects an
// entry whose config `isLegalConfig` no longer accepts.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_TUNING_TUNESPACE_H
#define ATTNGEN_TUNING_TUNESPACE_H

#include "attngen/Analysis/CostModel.h"
#include "attngen/Spec/Plan.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attngen {

/// One point of the tuning space.
struct TuneConfig {
  Tiles tiles;
  int kvChunk = 1024; ///< tokens per KVStats CTA (meaningless without KVStats)
  bool operator==(const TuneConfig &o) const {
    return tiles == o.tiles && kvChunk == o.kvChunk;
  }
  bool operator!=(const TuneConfig &o) const { return !(*this == o); }
};

/// "bm128 bn64 w12 s3 kv1024".
std::string toString(const TuneConfig &c);

/// A problem shape: what the tuner measures on and select-tiles buckets by.
struct ShapeHint {
  long long batch = 1, headsQ = 32, headsKv = 32, seqQ = 4096, seqK = 4096;
};

/// "B,H,N" (self-attention, heads_kv = H / gqa) or "B,Hq,Hkv,Nq,Nk";
/// nullopt with `error` set otherwise.
std::optional<ShapeHint> parseShapeHint(std::string_view text, int gqa, std::string &error);
/// "B,Hq,Hkv,Nq,Nk".
std::string toString(const ShapeHint &s);

/// Largest dynamic shared memory of one CTA on the target's arch
/// (sm_80 163 KB, sm_86/89 99 KB, sm_90 227 KB).
int maxSmemBytes(const Target &t);

/// Whether `mainloop` on `target` runs `variant` with `c`; `why` (when
/// non-null) receives the first broken rule.
bool isLegalConfig(const Variant &variant, const Target &target, Mainloop mainloop,
                   const TuneConfig &c, std::string *why = nullptr);

/// The heuristic of templates/attngen/kernel/tile_size.h, KVStats chunk 1024.
TuneConfig heuristicConfig(const Variant &variant, Mainloop mainloop);

/// Every legal config, the heuristic first. kvChunk varies only when
/// `hasKvStats` (a plan without KVStats ignores it).
std::vector<TuneConfig> legalConfigs(const Variant &variant, const Target &target,
                                     Mainloop mainloop, bool hasKvStats);

struct Candidate {
  TuneConfig config;
  double floorMs = 0; ///< the model's floor on the padded work (0 without a shape)
  bool pruned = false;
  std::string reason; ///< why it was pruned
};

/// Pruning margin: a candidate whose floor exceeds the best candidate's floor
/// by more than 1 / this (25%) is pruned. Measured (bench/RESULTS.md, session
/// 2, H200): the fastest kernels reach at most 68% of their floor (55-68% at
/// N=16k), so such a candidate would have to reach over 85% of its own floor
/// to win, which none does; 0.8 keeps that margin.
inline constexpr double kBestFloorFraction = 0.8;

/// legalConfigs of `base`'s variant, target and mainloop, with the
/// register-budget rule and, on a shape, the equivalence rule (a KVStats
/// chunk that gives the same number of chunks as an earlier candidate with
/// the same tiles does the same work) and the model's rule applied (pruned
/// candidates stay in the list, marked, so the tuner can show them).
std::vector<Candidate> tuningCandidates(const KernelPlan &base,
                                        const std::optional<ShapeHint> &shape,
                                        const DeviceCeilings &dev = DeviceCeilings());

/// `base` with `c` applied: tiles, kvChunk, and the attention kernel's
/// threads (warps * 32) and shared memory.
KernelPlan applyConfig(const KernelPlan &base, const TuneConfig &c);

} // namespace attngen

#endif // ATTNGEN_TUNING_TUNESPACE_H
