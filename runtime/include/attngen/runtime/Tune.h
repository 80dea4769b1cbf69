//===- Tune.h - Measure the tuning candidates of a plan on the GPU -*- C++ -*-===//
//
// What `attngen tune` and the GPU test share: for one problem shape, every
// candidate config of `tuningCandidates` (attngen/Tuning/TuneSpace.h) is
// applied to the base plan, emitted, JIT-compiled, checked once against the
// CPU reference on a small verification shape (incorrect ones are rejected),
// and timed end to end on the real shape. The fastest correct one is checked
// again on other inputs (activation-like, another seed) before it is returned
// as a tuning-database entry. MLIR-free: it starts from a plan (a package's).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_TUNE_H
#define ATTNGEN_RUNTIME_TUNE_H

#include "attngen/Tuning/TuningDb.h"
#include "attngen/runtime/Error.h"
#include "attngen/runtime/Problem.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace attngen {

struct TuneOptions {
  int reps = 20;   ///< timed launches per candidate (median)
  int warmup = 3;
  /// Shape of the correctness checks; default verifyShapeFor(shape, gqa).
  std::optional<ShapeHint> verifyShape;
  uint64_t seed = 1;
  /// One line per event (candidate compiled, checked, timed), for progress.
  std::function<void(const std::string &)> progress;
};

/// A shape small enough for the CPU reference (seconds) that keeps what tiles
/// care about: B = 1, 2 kv heads, Nq and Nk capped at 1000 (not a multiple
/// of any block, so the padded tail is exercised), their difference kept
/// where it fits (causal alignment).
ShapeHint verifyShapeFor(const ShapeHint &shape, int gqa);

struct TuneOutcome {
  /// Filled whatever happened: key, shape, device, generator, every
  /// candidate's result. `config` / `ms` are valid only when `found`.
  TuningEntry entry;
  bool found = false;
  std::vector<Candidate> candidates; ///< the model's view (floors, pruning)
};

/// Sweeps the candidates of `base` on `shape` on the current GPU. Errors are
/// failures of the whole sweep (no device, allocation); a candidate's own
/// failure (compile, launch, wrong result) is recorded in its status.
Expected<TuneOutcome> tuneShape(const KernelPlan &base, const ShapeHint &shape,
                                const TuneOptions &options);

class Kernel;

/// A tuning database applied at launch: for each problem, the kernel of
/// `base`'s plan with the tiles of the database's entry for the problem's
/// shape (TuningDb::lookup: its bucket, else the nearest tuned one), emitted
/// and compiled through the runtime's caches the first time a config is
/// needed; `base` itself where the database has nothing for the variant and
/// target or the entry holds base's own tiles. The file is read once, at the
/// first lookup; what it drops (a corrupt file, stale or illegal entries) is
/// in warnings(). Thread-safe.
class TunedKernels {
public:
  TunedKernels(std::shared_ptr<Kernel> base, std::string dbPath);

  /// The database's entry for `problem` (its bucket, else the nearest tuned
  /// one); nullopt: none for this variant and target.
  std::optional<TuningEntry> entryFor(const Problem &problem) const;
  /// The config the database chooses for `problem`; nullopt: base's own.
  std::optional<TuneConfig> configFor(const Problem &problem) const;
  /// The kernel to launch `problem` with (compiled here on first use).
  Expected<std::shared_ptr<Kernel>> forProblem(const Problem &problem) const;

  const std::string &path() const { return dbPath; }
  std::vector<std::string> warnings() const;

private:
  const TuningDb &database() const; // under `mutex`

  std::shared_ptr<Kernel> base;
  std::string dbPath;
  mutable std::mutex mutex;
  mutable std::optional<TuningDb> db;
  mutable std::vector<std::string> notes;
  mutable std::map<std::string, std::shared_ptr<Kernel>> byConfig; // toString(config)
};

} // namespace attngen

#endif // ATTNGEN_RUNTIME_TUNE_H
