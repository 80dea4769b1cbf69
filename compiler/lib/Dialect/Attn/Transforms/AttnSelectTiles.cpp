//===- AttnSelectTiles.cpp - attn-select-tiles ----------------------------===//
//
// Tiles come from the tuning database when it has an entry for the variant
// and target, else from the constexpr heuristic the templates are written
// against (templates/attngen/kernel/tile_size.h), unless a user or the tuner
// already put tiles on the op; either way they are checked for the mainloop.
//
//===----------------------------------------------------------------------===//
#include "attngen/Dialect/Attn/IR/SpecVariant.h"
#include "attngen/Dialect/Attn/Transforms/Passes.h"
#include "attngen/Tuning/TuningDb.h"

#include "attngen/kernel/tile_size.h"

#include "mlir/IR/Builders.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNSELECTTILES
#include "attngen/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// The discardable attribute attn-lower-to-plan reads the KVStats chunk from.
constexpr llvm::StringLiteral kKvChunkAttr = "attn.kv_chunk";

struct AttnSelectTilesPass : mlir::attn::impl::AttnSelectTilesBase<AttnSelectTilesPass> {
  using AttnSelectTilesBase::AttnSelectTilesBase;

  /// The database entry's config for `op`, if any. Diagnostics go to the
  /// op's location (not the op: its printed form would follow each one).
  std::optional<attngen::TuneConfig> tuned(AttentionOp op, const VariantFields &v,
                                           Mainloop mainloop) {
    attngen::Variant variant = toSpecVariant(v, op.getSymName());
    if (!op.getTarget())
      return std::nullopt;
    FailureOr<attngen::Target> target =
        parseTarget([&] { return op.emitOpError(); }, *op.getTarget());
    if (failed(target))
      return std::nullopt;
    std::optional<attngen::ShapeHint> hint;
    if (!shape.empty()) {
      std::string error;
      hint = attngen::parseShapeHint(shape, v.gqa, error);
      if (!hint)
        emitWarning(op.getLoc()) << "shape hint ignored: " << error;
    }
    std::vector<std::string> warnings;
    const attngen::TuningEntry *e = db->lookup(
        variant, *target,
        mainloop == Mainloop::Wgmma ? attngen::Mainloop::Wgmma : attngen::Mainloop::MmaSync,
        hint, warnings);
    for (const std::string &w : warnings)
      emitWarning(op.getLoc()) << w;
    if (!e)
      return std::nullopt;
    emitRemark(op.getLoc()) << "tiles from the tuning database: " << attngen::toString(e->config)
                    << " (bucket " << e->bucket << ", " << e->ms << " ms on "
                    << e->device << ")";
    return e->config;
  }

  LogicalResult selectTiles(AttentionOp op) {
    std::optional<Mainloop> mainloop = op.getMainloop();
    if (!mainloop)
      return op.emitOpError() << "has no mainloop; run attn-specialize-target "
                                 "before attn-select-tiles";
    VariantFields v = op.getVariant().getFields();
    TilesAttr tiles = op.getTilesAttr();
    if (!tiles && db) {
      if (std::optional<attngen::TuneConfig> c = tuned(op, v, *mainloop)) {
        tiles = TilesAttr::get(op.getContext(), c->tiles.blockM, c->tiles.blockN,
                               c->tiles.warps, c->tiles.stages);
        op->setAttr(kKvChunkAttr, Builder(op.getContext()).getI32IntegerAttr(c->kvChunk));
      }
    }
    if (!tiles) {
      attngen::TileChoice c = attngen::selectTileSize(
          toMainloopCode(*mainloop), v.headDim, toDtCode(v.qk), toDtCode(v.pv),
          v.mask == MaskKind::Causal, toSpecVariant(v, "").hasKernelExtras());
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
    if (!tuningDb.empty()) {
      db = attngen::TuningDb::load(tuningDb);
      for (const std::string &w : db->warnings())
        emitWarning(getOperation().getLoc()) << w;
    }
    WalkResult result = getOperation().walk([&](AttentionOp op) {
      return failed(selectTiles(op)) ? WalkResult::interrupt()
                                     : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  std::optional<attngen::TuningDb> db;
};

} // namespace
