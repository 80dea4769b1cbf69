//===- AttnLowerToPlan.cpp - attn-lower-to-plan ---------------------------===//
//
// Replaces each fully specialized attn.attention by an attn.plan listing the
// kernels to launch: the quantization prologues, then the attention kernel.
//
//===----------------------------------------------------------------------===//
#include "attngen/Dialect/Attn/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERTOPLAN
#include "attngen/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Tokens per KVStats CTA. Measured on the H200 (bench/NOTES.md, sm90 round 2,
/// int8/fp8 D=128 end to end): 1024 -> 738 TFLOPS at 16k / 519 at 4k; 512 -> 735 at
/// 16k; 2048 -> 744 at 16k but 492 at 4k. 1024 is the best over both lengths.
constexpr int kKvChunk = 1024;
/// Prologue kernels are elementwise / reduction kernels of 8 warps.
constexpr int kPrologueThreads = 256;

struct AttnLowerToPlanPass : mlir::attn::impl::AttnLowerToPlanBase<AttnLowerToPlanPass> {
  LogicalResult lower(AttentionOp op) {
    if (!op.getTarget() || !op.getMainloop() || !op.getTiles())
      return op.emitOpError() << "needs target, mainloop and tiles; run "
                                 "attn-specialize-target and "
                                 "attn-select-tiles before attn-lower-to-plan";
    VariantFields v = op.getVariant().getFields();
    Mainloop mainloop = *op.getMainloop();
    TilesAttr tiles = op.getTilesAttr();
    // attn-select-tiles sets it from the tuning database.
    auto tunedChunk = op->getAttrOfType<IntegerAttr>("attn.kv_chunk");
    const int kvChunk = tunedChunk ? static_cast<int>(tunedChunk.getInt()) : kKvChunk;
    OpBuilder b(op);
    auto plan = PlanOp::create(b, op.getLoc(), op.getSymNameAttr(),
                               op.getVariantAttr(), op.getTargetAttr(),
                               op.getMainloopAttr(), tiles,
                               b.getI32IntegerAttr(kvChunk));
    b.setInsertionPointToEnd(&plan.getBody().emplaceBlock());
    for (KernelRole role : planRoles(v, mainloop)) {
      bool attention = role == KernelRole::Attention;
      int threads = attention ? tiles.getWarps() * 32 : kPrologueThreads;
      int smem = attention ? attentionSmemBytes(v, mainloop, tiles) : 0;
      KernelOp::create(b, op.getLoc(), b.getStringAttr(kernelSymbol(role)),
                       KernelRoleAttr::get(b.getContext(), role),
                       b.getI32IntegerAttr(threads), b.getI32IntegerAttr(smem));
    }
    op.erase();
    return success();
  }

  void runOnOperation() override {
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) { ops.push_back(op); });
    for (AttentionOp op : ops)
      if (failed(lower(op)))
        return signalPassFailure();
  }
};

} // namespace
