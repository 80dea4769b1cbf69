// selectTileSize / attentionSmemBytes / wgmmaSupports (kernel/tile_size.h):
// every wgmma variant the mainloop accepts gets a tile that fits in shared
// memory, with the warp layout and pipeline depth the kernel assumes.
#include "catch.h"

#include "attngen/kernel/tile_size.h"

using namespace attngen;

TEST_CASE("wgmma tiles fit shared memory and the kernel's layout", "[tiles]") {
  const int types[] = {dt::I8, dt::E4M3, dt::F16, dt::BF16};
  int checked = 0;
  for (int d : {64, 128, 256})
    for (int qk : types)
      for (int pv : types)
        for (bool causal : {false, true}) {
          if (!wgmmaSupports(d, qk, pv))
            continue;
          const TileChoice t = selectTileSize(1, d, qk, pv, causal);
          INFO("D " << d << " qk " << qk << " pv " << pv);
          // Three consumer warpgroups where they fit, causal only with FP8 QK
          // (its tiles then come from the counter), else two.
          const bool three = (!causal || qk == dt::E4M3) && sm90ThreeConsumersFit(d, qk, pv);
          CHECK(three == ((d == 64 || d == 128) && pv == dt::E4M3 &&
                          (causal ? qk == dt::E4M3 : dtIs8Bit(qk))));
          CHECK(sm90DynamicTiles(causal, t.blockM) == (three && causal));
          // Never with kernel extras (they spill at 160 registers).
          CHECK(selectTileSize(1, d, qk, pv, causal, /*extras=*/true).warps == 12);
          CHECK(t.blockM == (three ? 192 : 128));
          CHECK(t.warps == (three ? 16 : 12));
          CHECK(t.blockM == 64 * sm90ConsumerWarpgroups(t.warps));
          CHECK(sm90ProducerRegs() * 128 + sm90ConsumerRegs(t.warps) * 32 * (t.warps - 4) <=
                65536);
          CHECK((t.blockN == 64 || t.blockN == 128));
          CHECK(t.stages >= 2);
          const int smem = attentionSmemBytes(1, d, qk, pv, t.blockM, t.blockN, t.stages);
          CHECK(smem <= kSm90MaxSmemBytes);
          // Q, K and V images of all stages at least.
          CHECK(smem >= t.blockM * d * dtBits(qk) / 8 +
                           t.stages * t.blockN * d * (dtBits(qk) + dtBits(pv)) / 8);
          ++checked;
        }
  CHECK(checked == 2 * 16 * 2);
}

TEST_CASE("wgmma support matrix", "[tiles]") {
  CHECK(wgmmaSupports(128, dt::I8, dt::E4M3));
  CHECK(wgmmaSupports(64, dt::E4M3, dt::I8));
  CHECK(wgmmaSupports(128, dt::BF16, dt::BF16));
  CHECK_FALSE(wgmmaSupports(256, dt::I8, dt::E4M3)); // two-level O needs 2 x 128 registers
  CHECK_FALSE(wgmmaSupports(256, dt::I8, dt::F16));  // spills; left to mma.sync
  CHECK_FALSE(wgmmaSupports(128, dt::I4, dt::E4M3)); // no 4-bit wgmma
  CHECK_FALSE(wgmmaSupports(96, dt::I8, dt::E4M3));
}

TEST_CASE("stages: 3, or 2 when 3 overflow shared memory", "[tiles]") {
  CHECK(selectTileSize(1, 128, dt::I8, dt::E4M3, false).stages == 3);
  CHECK(selectTileSize(1, 128, dt::BF16, dt::BF16, false).stages == 3); // 226 KB fits
  // The fallback itself (reached by D = 256 16-bit, should it be enabled).
  const TileChoice big = selectTileSize(1, 256, dt::BF16, dt::BF16, false);
  CHECK(big.stages == 2);
  CHECK(attentionSmemBytes(1, 256, dt::BF16, dt::BF16, 128, big.blockN, 3) > kSm90MaxSmemBytes);
  CHECK(attentionSmemBytes(1, 256, dt::BF16, dt::BF16, 128, big.blockN, 2) <= kSm90MaxSmemBytes);
}

TEST_CASE("mma.sync tiles", "[tiles]") {
  const TileChoice t = selectTileSize(0, 128, dt::I8, dt::E4M3, true);
  CHECK(t.blockM == 64);
  CHECK(t.warps == 4);
}
