//===- SpecVariant.cpp - #attn.variant fields -> attngen::Variant ---------===//
#include "attngen/Dialect/Attn/IR/SpecVariant.h"

namespace mlir::attn {

namespace {
// The attn enums list their cases in the order of the Spec enums
// (Pipeline/Compiler.cpp static_asserts it case by case).
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
  v.head_dim = f.headDim;
  v.layout = convert<attngen::Layout>(f.layout);
  v.gqa = f.gqa;
  v.input = convert<attngen::DType>(f.input);
  v.output = convert<attngen::DType>(f.output);
  v.lse = f.lse;
  v.scale = f.scale;
  return v;
}

} // namespace mlir::attn
