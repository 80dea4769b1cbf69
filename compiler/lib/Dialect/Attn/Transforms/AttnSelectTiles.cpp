//===- AttnSelectTiles.cpp - attn-select-tiles ----------------------------===//
//
// Tiles come from the constexpr heuristic the templates are written against
// (templates/attngen/kernel/tile_size.h), unless a user or the tuner already
// put tiles on the op; either way they are checked for the mainloop.
//
//===----------------------------------------------------------------------===//
#include "attngen/Dialect/Attn/Transforms/Passes.h"

#include "attngen/kernel/tile_size.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNSELECTTILES
#include "attngen/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

struct AttnSelectTilesPass : mlir::attn::impl::AttnSelectTilesBase<AttnSelectTilesPass> {
  LogicalResult selectTiles(AttentionOp op) {
    std::optional<Mainloop> mainloop = op.getMainloop();
    if (!mainloop)
      return op.emitOpError() << "has no mainloop; run attn-specialize-target "
                                 "before attn-select-tiles";
    VariantFields v = op.getVariant().getFields();
    TilesAttr tiles = op.getTilesAttr();
    if (!tiles) {
      attngen::TileChoice c = attngen::selectTileSize(
          toMainloopCode(*mainloop), v.headDim, toDtCode(v.qk), toDtCode(v.pv),
          v.mask == MaskKind::Causal);
      tiles = TilesAttr::get(op.getContext(), c.blockM, c.blockN, c.warps,
                             c.stages);
    }
    auto emitError = [&] { return op.emitOpError(); };
    if (failed(verifyTilesLegality(emitError, v, *mainloop, tiles)))
      return failure();
    op.setTilesAttr(tiles);
    return success();
  }

  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](AttentionOp op) {
      return failed(selectTiles(op)) ? WalkResult::interrupt()
                                     : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
