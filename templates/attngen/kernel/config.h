//===- config.h - Compile-time description of one generated kernel ------===//
//
// The emitter writes one `struct Cfg` per plan with these members and passes it
// to every kernel template of the plan; the templates read nothing else. The
// numeric codes mirror attngen::DType / Granularity on the host (the emitter
// converts). Only builtin types: NVRTC compiles this without std headers.
//
// struct Cfg {
//   static constexpr int kHeadDim, kBlockM, kBlockN, kWarps, kStages, kKvChunk;
//   static constexpr int kQK, kPV, kIn, kOut;          // attngen::dt codes
//   static constexpr int kQGran, kKGran, kVGran;       // attngen::gran codes
//   static constexpr bool kSmoothQ, kSmoothK, kSmoothV;
//   static constexpr bool kBalance;                    // Q/K channel balancing
//   static constexpr bool kCausal, kLse;
//   static constexpr int kGqa;                         // query heads per kv head
//   // Optional, declared only when used (mask/score_mod.h reads them with defaults):
//   static constexpr int kWindowLeft, kWindowRight;    // sliding window, -1 unbounded
//   static constexpr float kSoftcap;                   // logit soft cap
//   static constexpr bool kAlibi;                      // ALiBi, slopes in AttnParams
// };
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_KERNEL_CONFIG_H
#define ATTNGEN_KERNEL_CONFIG_H

#if defined(__CUDACC__)
#define AG_HOST_DEVICE __host__ __device__
#else
#define AG_HOST_DEVICE
#endif

namespace attngen {
namespace dt {
enum : int { I4 = 0, I8 = 1, E4M3 = 2, F16 = 3, BF16 = 4, F32 = 5 };
} // namespace dt
namespace gran {
enum : int { Tensor = 0, Block = 1, Warp = 2, Thread = 3, Token = 4, Channel = 5 };
} // namespace gran

/// Bits of one element of a dt code.
AG_HOST_DEVICE constexpr int dtBits(int t) {
  return t == dt::I4 ? 4 : (t == dt::I8 || t == dt::E4M3) ? 8 : t == dt::F32 ? 32 : 16;
}
AG_HOST_DEVICE constexpr bool dtIs8Bit(int t) { return t == dt::I8 || t == dt::E4M3; }
} // namespace attngen

#endif // ATTNGEN_KERNEL_CONFIG_H
