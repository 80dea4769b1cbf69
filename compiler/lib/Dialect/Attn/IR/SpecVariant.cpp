//===- SpecVariant.cpp - #attn.variant fields <-> attngen::Variant --------===//
#include "attngen/Dialect/Attn/IR/SpecVariant.h"

namespace mlir::attn {

namespace {
// The attn enums list their cases in the order of the Spec enums, so a cast
// converts; these asserts keep the two from drifting apart.
#define ATTNGEN_SAME_CASE(E, C)                                                \
  static_assert(static_cast<int>(attngen::E::C) == static_cast<int>(E::C))
ATTNGEN_SAME_CASE(DType, I4);
ATTNGEN_SAME_CASE(DType, I8);
ATTNGEN_SAME_CASE(DType, E4M3);
ATTNGEN_SAME_CASE(DType, F16);
ATTNGEN_SAME_CASE(DType, BF16);
ATTNGEN_SAME_CASE(DType, F32);
ATTNGEN_SAME_CASE(Granularity, Tensor);
ATTNGEN_SAME_CASE(Granularity, Block);
ATTNGEN_SAME_CASE(Granularity, Warp);
ATTNGEN_SAME_CASE(Granularity, Thread);
ATTNGEN_SAME_CASE(Granularity, Token);
ATTNGEN_SAME_CASE(Granularity, Channel);
ATTNGEN_SAME_CASE(MaskKind, None);
ATTNGEN_SAME_CASE(MaskKind, Causal);
ATTNGEN_SAME_CASE(BiasKind, None);
ATTNGEN_SAME_CASE(BiasKind, Alibi);
ATTNGEN_SAME_CASE(BiasKind, LowRank);
ATTNGEN_SAME_CASE(BiasKind, Dense);
ATTNGEN_SAME_CASE(Layout, BHND);
ATTNGEN_SAME_CASE(Layout, BNHD);
#undef ATTNGEN_SAME_CASE

template <typename To, typename From> To convert(From e) {
  return static_cast<To>(static_cast<int>(e));
}
} // namespace

attngen::Variant toSpecVariant(const VariantFields &f, llvm::StringRef name) {
  attngen::Variant v;
  v.name = name.str();
  v.qk = convert<attngen::DType>(f.qk);
  v.pv = convert<attngen::DType>(f.pv);
  v.q_granularity = convert<attngen::Granularity>(f.qGranularity);
  v.k_granularity = convert<attngen::Granularity>(f.kGranularity);
  v.v_granularity = convert<attngen::Granularity>(f.vGranularity);
  v.smooth_q = f.smoothQ;
  v.smooth_k = f.smoothK;
  v.smooth_v = f.smoothV;
  v.balance = f.balance;
  v.mask = convert<attngen::MaskKind>(f.mask);
  v.window_left = f.windowLeft;
  v.window_right = f.windowRight;
  v.softcap = f.softcap;
  v.bias = convert<attngen::BiasKind>(f.bias);
  v.bias_rank = f.biasRank;
  v.head_dim = f.headDim;
  v.layout = convert<attngen::Layout>(f.layout);
  v.gqa = f.gqa;
  v.input = convert<attngen::DType>(f.input);
  v.output = convert<attngen::DType>(f.output);
  v.lse = f.lse;
  v.scale = f.scale;
  return v;
}

VariantFields toVariantFields(const attngen::Variant &v) {
  VariantFields f;
  f.qk = convert<DType>(v.qk);
  f.pv = convert<DType>(v.pv);
  f.qGranularity = convert<Granularity>(v.q_granularity);
  f.kGranularity = convert<Granularity>(v.k_granularity);
  f.vGranularity = convert<Granularity>(v.v_granularity);
  f.smoothQ = v.smooth_q;
  f.smoothK = v.smooth_k;
  f.smoothV = v.smooth_v;
  f.balance = v.balance;
  f.mask = convert<MaskKind>(v.mask);
  f.windowLeft = v.window_left;
  f.windowRight = v.window_right;
  f.softcap = v.softcap;
  f.bias = convert<BiasKind>(v.bias);
  f.biasRank = v.bias_rank;
  f.headDim = v.head_dim;
  f.layout = convert<Layout>(v.layout);
  f.gqa = v.gqa;
  f.input = convert<DType>(v.input);
  f.output = convert<DType>(v.output);
  f.lse = v.lse;
  f.scale = v.scale;
  return f;
}

} // namespace mlir::attn
