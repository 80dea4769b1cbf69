//===- CostModel.h - FLOPs, bytes, exponentials and their floors ----------===//
//
// An I/O and roofline model of a plan on a problem shape: the work the kernels
// must do (matmul FLOPs, exponentials), the HBM bytes they move (prologue
// passes and the attention kernel's K/V streaming, which is re-read once per
// query tile), and the time floors these imply on measured ceilings. Used by
// `attngen explain` and by the benchmark to report the achieved fraction of
// the tightest floor.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_ANALYSIS_COSTMODEL_H
#define ATTNGEN_ANALYSIS_COSTMODEL_H

#include "attngen/Spec/Plan.h"

#include <string>

namespace attngen {

struct ProblemShape {
  long long batch = 1, headsQ = 32, headsKV = 32, seqQ = 4096, seqK = 4096;
};

/// Ceilings of one device. Defaults: measured on the lent H200 (132 SMs;
/// ../shared/DESIGN.md): fp8 matmul 1260 TFLOPS (torch._scaled_mm), bf16 707,
/// device copy 4.25 TB/s; MUFU ex2 16 per clock per SM at ~1.83 GHz. INT8
/// uses the fp8 rate: the tensor cores run both at one peak (datasheet), and
/// cuBLAS's int8 GEMM (900 measured) is a library limit, not the hardware's.
struct DeviceCeilings {
  double eightBitTflops = 1260, f16Tflops = 707;
  double hbmTBps = 4.25;
  int sms = 132;
  double clockGHz = 1.83;
  double expPerClkPerSm = 16;
  long long smemPerSm = 228 * 1024;
};

struct CostReport {
  double flops = 0;       ///< 4 B H D x the visible (query, key) pairs (causal, window)
  double exps = 0;        ///< one exp2 per visible score
  double bytesPrologue = 0;
  double bytesAttention = 0;  ///< Q tiles, K/V tiles per query tile, O, LSE
  double bytesCompulsory = 0; ///< each input read once, output written once
  double ioLowerBound = 0;    ///< N^2 d^2 / M per head (Saha & Ye), in bytes
  double tMatmul = 0, tExp = 0, tHbm = 0; ///< floors in seconds
  double tFloor = 0;                      ///< the largest of the three
  std::string bound;                      ///< "matmul", "exp" or "memory"
  /// The quantization prologues run as their own passes before the attention
  /// kernel (KVStats, QuantKV: K's mean and V's channel scales need every
  /// token first), so end to end cannot beat their HBM time plus the kernel's
  /// floor: tPrologue = bytesPrologue / bandwidth, tEndToEnd = tPrologue + tFloor.
  double tPrologue = 0, tEndToEnd = 0;
};

CostReport analyzeCost(const KernelPlan &plan, const ProblemShape &shape,
                       const DeviceCeilings &dev = DeviceCeilings());

/// Multi-line, human-readable report.
std::string formatCost(const CostReport &r);

} // namespace attngen

#endif // ATTNGEN_ANALYSIS_COSTMODEL_H
