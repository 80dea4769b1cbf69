//===- Cli.h - Shared pieces of the attngen command-line tool -------------===//
#ifndef ATTNGEN_TOOLS_CLI_H
#define ATTNGEN_TOOLS_CLI_H

#include "attngen/Spec/Plan.h"
#include "attngen/Tuning/TuneSpace.h"
#include "attngen/runtime/Error.h"
#include "attngen/runtime/Jit.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attngen::cli {

/// Exit codes: 0 success, 1 a failure of the work itself (compile, launch,
/// check), 2 a usage error, 3 the work needs a GPU and there is none.
enum ExitCode { kOk = 0, kFailed = 1, kUsage = 2, kNoGpu = 3 };

/// Parsed command line: positional arguments and `--key value` / `--flag`.
class Args {
public:
  /// `valued`: options that take a value; every other `--x` is a flag.
  /// Unknown options are a usage error (returned as Error).
  static Expected<Args> parse(int argc, char **argv, const std::vector<std::string> &valued,
                              const std::vector<std::string> &flags);
  const std::vector<std::string> &positional() const { return pos; }
  bool has(const std::string &key) const { return opts.count(key) != 0; }
  std::string get(const std::string &key, const std::string &fallback = "") const;
  Expected<long long> getInt(const std::string &key, long long fallback) const;

private:
  std::vector<std::string> pos;
  std::map<std::string, std::string> opts;
};

/// The variants of a DSL file: all of them (`all`), the one named `name`, or
/// the only one. Parse errors come back formatted with line:column.
Expected<std::vector<Variant>> loadVariants(const std::string &file, const std::string &name,
                                            bool all);

/// `--target` or, when absent, the current GPU's target, or sm_90a without one.
Expected<Target> resolveTarget(const std::string &spelled, bool *fromDevice = nullptr);

/// Variant + target -> plan through the MLIR pipeline (error in builds
/// without the compiler). `inputIR` / `planIR` receive the IR when non-null.
/// `tuningDb` (empty: none) is the database select-tiles reads, bucketed by
/// `shape` when given; its warnings and remarks go to stderr. `tiles`, when
/// given, replaces both (the verifier checks them like any other).
Expected<KernelPlan> lowerVariant(const Variant &v, const Target &t, std::string *inputIR = nullptr,
                                  std::string *planIR = nullptr, const std::string &tuningDb = "",
                                  const std::optional<ShapeHint> &shape = std::nullopt,
                                  const std::optional<Tiles> &tiles = std::nullopt);

/// `--tiles BM,BN,WARPS,STAGES` (not `given`: nullopt).
Expected<std::optional<Tiles>> parseTilesArg(bool given, const std::string &spelled);

/// A kernel package directory: plan.json + kernel.cu (+ variant.attn).
Status writePackage(const std::string &dir, const KernelPlan &plan, const std::string &source);

/// Problem shape from "B,H,N" / "B,Hq,Hkv,Nq,Nk" (head dim from the variant).
struct ShapeArg {
  int batch = 1, headsQ = 32, headsKv = 32, seqQ = 4096, seqK = 4096;
};
Expected<ShapeArg> parseShape(const std::string &text, int gqa);

/// Print "attngen: <msg>" (usage errors add a pointer to --help) and return
/// the exit code.
int usage(const std::string &msg);
int fail(const std::string &msg);

bool writeFile(const std::string &path, const std::string &data);
Expected<std::string> readFile(const std::string &path);

/// Plan summary, resources (NVRTC + cuobjdump) and the cost model of a shape.
std::string explainPlan(const KernelPlan &plan, const ShapeArg &shape, bool withResources);

/// `kernel` with the tiles of the tuning database's entry for its variant,
/// target and `shape` (re-emitted from its plan, so packages too); `kernel`
/// itself without a database path or an entry. Notes go to stderr.
Expected<std::shared_ptr<Kernel>> withTunedTiles(std::shared_ptr<Kernel> kernel,
                                                 const std::string &dbPath,
                                                 const ShapeArg &shape);

int cmdList(int argc, char **argv);
int cmdEmit(int argc, char **argv);
int cmdCompile(int argc, char **argv);
int cmdCompilePackages(int argc, char **argv);
int cmdExplain(int argc, char **argv);
int cmdRun(int argc, char **argv);
int cmdBench(int argc, char **argv);
int cmdCache(int argc, char **argv);
int cmdDemo(int argc, char **argv);
int cmdTune(int argc, char **argv);
int cmdFitBias(int argc, char **argv);

} // namespace attngen::cli

#endif
