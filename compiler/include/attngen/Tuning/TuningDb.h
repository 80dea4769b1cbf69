//===- TuningDb.h - The persistent tuning database --------------*- C++ -*-===//
//
// One JSON file (default $ATTNGEN_TUNING_DB, else tuning.json beside the
// kernel cache) of entries keyed by (canonical variant without its name,
// arch, shape bucket), each holding the fastest correct config `attngen tune`
// measured, its time, every candidate's time or why it was rejected, the
// generator version and a checksum. Writers take a lock file and replace the
// file atomically (temporary + rename), so two tuners never lose an entry and
// a reader never sees half a file. A corrupt file or entry (bad JSON, bad
// checksum) and a stale one (another generator version, a config the arch no
// longer accepts) is never used: the reader drops it with a warning, the
// tuner measures that bucket again and overwrites it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_TUNING_TUNINGDB_H
#define ATTNGEN_TUNING_TUNINGDB_H

#include "attngen/Tuning/TuneSpace.h"

#include <optional>
#include <string>
#include <vector>

namespace attngen {

/// The canonical DSL text of `v` on one line, without its name: variants that
/// compute the same thing share tuning entries whatever they are called.
std::string tuningVariantKey(const Variant &v);

/// "nq<Nq>.nk<Nk>", each rounded up to a power of two (at least 64): shapes
/// in one bucket pad to similar tile counts. Batch and heads are left out:
/// they scale the grid, not the per-CTA work the tiles decide.
std::string shapeBucket(const ShapeHint &s);

/// The generator version entries are valid for: the emitter's version and the
/// device template bundle's hash (a template change can change every time).
std::string tuningGeneratorVersion();

/// $ATTNGEN_TUNING_DB, else tuning.json in $ATTNGEN_CACHE_DIR,
/// $XDG_CACHE_HOME/attngen or ~/.cache/attngen; nullopt when none is set.
std::optional<std::string> defaultTuningDbPath();

struct CandidateResult {
  TuneConfig config;
  double ms = 0;        ///< median time; 0 when not measured
  std::string status;   ///< "ok", "incorrect", "pruned: ...", "failed: ..."
};

struct TuningEntry {
  std::string variant;   ///< tuningVariantKey
  std::string arch;      ///< Target::name()
  std::string bucket;    ///< shapeBucket(shape)
  ShapeHint shape;       ///< the shape measured
  TuneConfig config;     ///< the fastest correct candidate
  double ms = 0;         ///< its median time
  std::string device;    ///< the GPU it was measured on
  std::vector<CandidateResult> candidates;
  std::string generator; ///< tuningGeneratorVersion() when measured
  std::string checksum;  ///< entryChecksum() when written
};

/// "fnv1a64:<16 hex digits>" over every field but the checksum.
std::string entryChecksum(const TuningEntry &e);

class TuningDb {
public:
  /// Reads `path`. A missing file is an empty database; a corrupt file is an
  /// empty database plus a warning; an entry with a bad checksum or another
  /// generator version than `generator` is dropped with a warning.
  static TuningDb load(const std::string &path,
                       const std::string &generator = tuningGeneratorVersion());
  /// Parses the text of a database file (same rules as `load`).
  static TuningDb parse(const std::string &text, const std::string &generator,
                        const std::string &origin);

  const std::vector<TuningEntry> &entries() const { return list; }
  /// Warnings about what was dropped, one line each ("<file>: ...").
  const std::vector<std::string> &warnings() const { return notes; }

  /// The entry for the variant on the target: the shape's bucket, else the
  /// nearest tuned bucket (log2 distance), else (no shape) the largest tuned
  /// bucket; nullptr when none. An entry whose config the mainloop no longer
  /// accepts is skipped with a warning appended to `warnings`.
  const TuningEntry *lookup(const Variant &variant, const Target &target, Mainloop mainloop,
                            const std::optional<ShapeHint> &shape,
                            std::vector<std::string> &warnings) const;
  /// The entry of exactly this key, valid or not checked for legality.
  const TuningEntry *find(const std::string &variant, const std::string &arch,
                          const std::string &bucket) const;

  /// Adds `e` or replaces the entry of its key (the checksum is recomputed).
  void put(TuningEntry e);
  std::string toJson() const;

  /// Under an exclusive lock (`path`.lock): re-reads `path`, puts `e`, and
  /// replaces the file by a complete new one (temporary + rename). False with
  /// `error` set when the file cannot be locked or written; the warnings of
  /// the re-read go to `warnings`.
  static bool store(const std::string &path, const TuningEntry &e, std::string &error,
                    std::vector<std::string> *warnings = nullptr,
                    const std::string &generator = tuningGeneratorVersion());

private:
  std::vector<TuningEntry> list;
  std::vector<std::string> notes;
  std::string generator;
};

} // namespace attngen

#endif // ATTNGEN_TUNING_TUNINGDB_H
