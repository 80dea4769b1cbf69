//===- Emulate.h - CPU emulation of a variant's kernel arithmetic -*- C++ -*-===//
//
// Reproduces, on the CPU, what the prologue kernels and the attention kernel
// of a plan compute (docs/ARCHITECTURE.md, "Quantization contract" and "The
// arithmetic every kernel and the emulation follow"):
//  - KVStats partials and means in the kernels' summation order, and every
//    scale and quantized value through templates' quant/quant_math.h, so the
//    prologue outputs are bit-identical to the GPU's;
//  - the blockwise online softmax in exp2 with the variant's P quantization,
//    two-level accumulation, the epilogue and the LSE correction. std::exp2
//    stands in for ex2.approx (about 2 ulp apart) and FP64 sums for the tensor
//    cores' accumulators, so the attention output is close to, not
//    bit-identical with, the kernel's (Tolerance.h says how close).
// Inputs are dense [B, H, N, D] floats whatever the variant's layout; they
// are first rounded to the variant's input type, as the kernel reads them.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_REFERENCE_EMULATE_H
#define ATTNGEN_REFERENCE_EMULATE_H

#include "attngen/Spec/Plan.h"
#include "attngen/reference/Shape.h"

#include <optional>
#include <string>
#include <vector>

namespace attngen::ref {

/// A quantized operand in its logical layout (not the tile images): values
/// are the quantized numbers as floats (integers for I8/I4, e4m3 values for
/// E4M3, 16-bit values for F16/BF16), dense [B, H, Npad, D]; padded tokens
/// are zero. For Q and K, `scale` is per token [B, H, Npad] (Q's includes
/// sm_scale * log2(e); 1 for 16-bit operands). For V, `scale` is per channel
/// [B, Hkv, D] (8-bit PV) or empty (16-bit PV); V is not transposed here.
struct QuantizedTensor {
  DType type = DType::I8;
  int heads = 0, seqPad = 0, dim = 0;
  std::vector<float> values;
  std::vector<float> scale;
};

struct Emulation {
  AttnOutput out;  ///< O rounded to the variant's output type; LSE (always)
  int seqQPad = 0; ///< Nq rounded up to blockM
  int seqKPad = 0; ///< Nk rounded up to blockN
  int kvChunks = 0;
  QuantizedTensor q, k, v;
  std::vector<float> qKmean;   ///< [B, Hq, Nq_pad]: s * q . mean(K) (0 without smooth_k)
  std::vector<float> kMean;    ///< [B, Hkv, D] (0 without smooth_k)
  std::vector<float> vMean;    ///< [B, Hkv, D] (0 without smooth_v)
  std::vector<float> kPartial; ///< [B, Hkv, kvChunks, 3, D]: sum, max, min (of the sample)
  std::vector<float> vPartial; ///< [B, Hkv, kvChunks, 3, D]
  /// Q/K balancing (variant.balance with quantized QK; empty otherwise):
  int qChunks = 0;              ///< ceil(Nq / kvChunk)
  std::vector<float> qPartial;  ///< [B, Hkv, qChunks, D]: max |q| per chunk (KVStats)
  std::vector<float> qkBalance; ///< [B, Hkv, D]: a_c; Q is quantized as Q * a_c, K' as K' / a_c
};

struct EmulationOptions {
  int threads = 0; ///< 0: every hardware thread
  /// Models the GPU's ex2.approx: every exp2 of the softmax moves by up to
  /// this many ulp (a hash of its argument picks how many). 0 = std::exp2.
  /// A run with jitter stands in for a correct kernel when testing bounds.
  int exp2JitterUlps = 0;
  /// FP8 P V: the softmax row sum is that of the quantized P, sum_j e4m3(448 p_j)
  /// / 448, as the wgmma mainloop forms it on the tensor cores
  /// (templates/attngen/kernel/tile_size.h sm90RowSumRows; not with a soft
  /// cap); else the sum of the unrounded p (mma.sync). emulate(plan, ...) sets
  /// it from the plan.
  bool quantizedRowSum = false;
  /// 8-bit P: the first this-many key columns of every block take their P
  /// from exp2Poly (templates/attngen/kernel/exp2_poly.h, FP8 with log2(448)
  /// in the argument) instead of exp2, as the wgmma mainloop does for its
  /// sm90PolyExpGroups; 0 = none. emulate(plan, ...) sets it from the plan.
  int polyExpColumns = 0;
};

/// Emulates `variant` with the plan's tiles and KVStats chunk. The shape must
/// agree with the variant (head_dim, gqa). Returns nullopt and sets `error`
/// for a mismatch or what the kernels do not implement (smooth_q, Q at tensor
/// granularity, V not at channel granularity with 8-bit PV, 4-bit PV).
std::optional<Emulation> emulate(const Variant &variant, const Tiles &tiles, int kvChunk,
                                 const AttnInputs &in, std::string &error,
                                 const EmulationOptions &opts = {});
std::optional<Emulation> emulate(const KernelPlan &plan, const AttnInputs &in,
                                 std::string &error, const EmulationOptions &opts = {});

/// Rounds every element to `type` (F16 / BF16; F32 leaves it unchanged), as a
/// kernel reading or writing that type does.
void roundTo(std::vector<float> &x, DType type);

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_EMULATE_H
