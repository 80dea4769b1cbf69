//===- AttnCanonicalize.cpp - attn-canonicalize ---------------------------===//
//
// Makes the default scale explicit and resets the fields a variant ignores,
// so that two spellings of the same computation print (and cache) the same.
//
//===----------------------------------------------------------------------===//
#include "attngen/Dialect/Attn/Transforms/Passes.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCANONICALIZE
#include "attngen/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

VariantFields canonicalize(VariantFields v) {
  if (!v.scale)
    v.scale = 1.0 / std::sqrt(static_cast<double>(v.headDim));
  if (is16BitFloat(v.qk)) {
    // Q and K are not quantized: no scales, nothing for smoothing to improve.
    v.qGranularity = Granularity::Warp;
    v.kGranularity = Granularity::Block;
    v.smoothQ = false;
    v.smoothK = false;
    v.balance = false;
  }
  if (is16BitFloat(v.pv)) {
    // V is not quantized: its granularity and smoothing cannot matter.
    v.vGranularity = Granularity::Channel;
    v.smoothV = false;
  }
  return v;
}

struct AttnCanonicalizePass
    : mlir::attn::impl::AttnCanonicalizeBase<AttnCanonicalizePass> {
  void runOnOperation() override {
    getOperation().walk([](AttentionOp op) {
      op.setVariantAttr(VariantAttr::get(
          op.getContext(), canonicalize(op.getVariant().getFields())));
    });
  }
};

} // namespace
