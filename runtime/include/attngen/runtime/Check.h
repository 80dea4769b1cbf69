//===- Check.h - Run a generated kernel against the CPU reference ---------===//
//
// What `attngen run`, `attngen demo` and the GPU tests share: device copies of
// one problem's inputs (random or activation-like, rounded to the input type
// so the reference sees exactly what the GPU sees), a launch with the outputs
// poisoned by NaN, and the comparison against the variant's emulation and the
// exact reference with tolerances derived from the emulation.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_CHECK_H
#define ATTNGEN_RUNTIME_CHECK_H

#include "attngen/reference/Metrics.h"
#include "attngen/reference/Shape.h"
#include "attngen/runtime/Driver.h"
#include "attngen/runtime/Jit.h"

#include <memory>
#include <string>
#include <vector>

namespace attngen {

/// A problem's inputs on the host (as the GPU sees them) and on the device.
struct DeviceProblem {
  Problem problem;
  ref::AttnShape shape;
  ref::AttnInputs inputs; ///< [B, H, N, D] floats, rounded to the input type
  DeviceBuffer q, k, v, o, lse, workspace;
  /// bias = alibi: the device copy of inputs.alibiSlopes (the standard ones).
  DeviceBuffer alibiSlopesDev;
  /// bias = lowrank: inputs.biasQ / biasK on the device, dense [B, Hq, N, R].
  DeviceBuffer biasQDev, biasKDev;
  /// bias = dense: inputs.biasDense on the device, dense [B, Hq, Nq, Nk].
  DeviceBuffer biasDenseDev;
  /// bias = dense: the table's block map once useBlockMap built it.
  DeviceBuffer blockMapDev;
  /// Per-sequence key lengths (setKeyLengths), else empty: all seq_k.
  std::vector<int> keyLengths;
  DeviceBuffer keyLengthsDev;
  Tensors tensors;
};

/// Gives the problem per-sequence key lengths (Tensors::seq_lens_k, one per
/// batch, each in [0, seq_k]) and fills the keys past them (K and V, all
/// heads) with NaN on the device, so that a kernel reading one fails the check.
Status setKeyLengths(DeviceProblem &p, const Variant &variant, const std::vector<int> &lengths);

/// bias = dense: replaces the table ([B, Hq, Nq, Nk] floats, rounded to the
/// input type here) on the host and the device (rows padded to 8 elements).
Status setDenseBias(DeviceProblem &p, const Variant &variant, std::vector<float> table);

/// bias = dense: builds the table's block map on the device with `kernel`
/// (Kernel::buildBlockMap) and passes it with the problem's later launches.
Status useBlockMap(const Kernel &kernel, DeviceProblem &p);

enum class InputKind { Random, ActivationLike };

/// Allocates and uploads a problem for `kernel` (layout and types from its
/// variant). seqQ/seqK may differ; heads_q must be heads_kv * gqa.
Expected<std::unique_ptr<DeviceProblem>> makeDeviceProblem(const Kernel &kernel,
                                                           const ref::AttnShape &shape,
                                                           InputKind kind, uint64_t seed);

/// The kernel's O as float [B, H, N, D], whatever the output type and layout.
Expected<std::vector<float>> readOutput(const DeviceProblem &p, const Variant &variant);

struct CheckReport {
  bool pass = false;
  ref::ErrorMetrics kernelVsEmulation, kernelVsExact, emulationVsExact;
  double lseMaxAbs = 0;
  std::string text; ///< metrics, bounds and every failed bound, one per line
};

/// Launches `kernel` once on `p` (O and LSE poisoned with NaN first) and
/// checks O (and LSE) against the emulation and the exact reference.
Expected<CheckReport> checkAgainstReference(const Kernel &kernel, DeviceProblem &p);

/// 4 B Hq Nq Nk D, counting only visible scores (causal, bottom-right).
double attentionFlops(const Variant &v, const ref::AttnShape &s);

} // namespace attngen

#endif
