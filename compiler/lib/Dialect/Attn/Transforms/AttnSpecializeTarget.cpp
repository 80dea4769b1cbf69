//===- AttnSpecializeTarget.cpp - attn-specialize-target ------------------===//
//
// Attaches the target (a pass option, so that tests need no GPU), rejects
// what the target or the templates cannot run, and picks the mainloop.
//
//===----------------------------------------------------------------------===//
#include "attngen/Dialect/Attn/Transforms/Passes.h"

#include "attngen/Spec/Plan.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNSPECIALIZETARGET
#include "attngen/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

struct AttnSpecializeTargetPass
    : mlir::attn::impl::AttnSpecializeTargetBase<AttnSpecializeTargetPass> {
  using Base::Base;

  LogicalResult specialize(AttentionOp op) {
    auto emitError = [&] { return op.emitOpError(); };
    FailureOr<attngen::Target> target = parseTarget(emitError, arch);
    if (failed(target))
      return failure();
    VariantFields v = op.getVariant().getFields();
    // Kept representable in the IR so the frontend and the reference can
    // describe it; no kernel template implements the Q-mean GEMV yet.
    if (v.smoothQ)
      return op.emitOpError()
             << "smooth_q is not supported yet by the kernel templates";
    std::optional<Mainloop> chosen = op.getMainloop();
    Mainloop mainloop = chosen ? *chosen : pickMainloop(v, *target);
    if (failed(verifyTargetLegality(emitError, v, *target, mainloop)))
      return failure();
    MLIRContext *ctx = op.getContext();
    op.setTargetAttr(StringAttr::get(ctx, target->name()));
    op.setMainloopAttr(MainloopAttr::get(ctx, mainloop));
    return success();
  }

  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](AttentionOp op) {
      return failed(specialize(op)) ? WalkResult::interrupt()
                                    : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
