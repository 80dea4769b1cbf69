//===- TuneSpace.cpp - The legal tile configurations of a variant ---------===//
#include "attngen/Tuning/TuneSpace.h"

#include "attngen/Analysis/CostModel.h"
#include "attngen/Codegen/EmitCuda.h"
#include "attngen/kernel/tile_size.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>

namespace attngen {

namespace {

int mainloopCode(Mainloop m) { return m == Mainloop::Wgmma ? 1 : 0; }

/// The KVStats chunks measured in bench/NOTES.md (sm90 round 2).
constexpr int kKvChunks[] = {512, 1024, 2048};

/// Accumulator registers per thread the mainloop holds across a key block:
/// the S fragment and the O fragment (twice for the two-level 8-bit PV
/// accumulation on wgmma). Over the budget, ptxas spills in the inner loop.
int fragmentRegisters(const Variant &v, Mainloop m, const Tiles &t) {
  const int D = v.head_dim;
  if (m == Mainloop::Wgmma) { // 64 rows per warpgroup of 128 threads
    // The split P V (tile_size.h sm90SplitPv): S and O, or O, the larger half
    // (D / 2 channels and the row-sum rows) and P (8-bit: blockN / 8).
    if (sm90SplitPv(D, t.warps))
      return std::max(t.blockN / 2 + D / 2,
                      D / 2 + (D / 2 + sm90RowSumRows(toDtCode(v.pv))) / 2 + t.blockN / 8);
    return t.blockN / 2 + D / 2 * (bitWidth(v.pv) == 8 ? 2 : 1);
  }
  return t.blockN / 2 + D / 2; // 16 rows per warp
}

/// Registers a thread may spend on fragments: wgmma consumers get
/// sm90ConsumerRegs (setmaxnreg: 240 with two consumer warpgroups, 160 with
/// three) less about 32 for addresses and softmax state; mma.sync threads 255
/// less the same and the Q/P operand fragments.
int fragmentBudget(Mainloop m, const Tiles &t) {
  return m == Mainloop::Wgmma ? sm90ConsumerRegs(t.warps) - 32 : 192;
}

bool fail(std::string *why, std::string msg) {
  if (why)
    *why = std::move(msg);
  return false;
}

} // namespace

std::string toString(const TuneConfig &c) {
  return fmt::format("bm{} bn{} w{} s{} kv{}", c.tiles.blockM, c.tiles.blockN, c.tiles.warps,
                     c.tiles.stages, c.kvChunk);
}

std::optional<ShapeHint> parseShapeHint(std::string_view text, int gqa, std::string &error) {
  std::vector<long long> v;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
    long long x = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), x);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || x < 1 ||
        x > INT_MAX) {
      error = fmt::format("bad shape '{}': expected positive integers B,H,N or B,Hq,Hkv,Nq,Nk",
                          text);
      return std::nullopt;
    }
    v.push_back(x);
    if (comma == std::string_view::npos)
      break;
    pos = comma + 1;
  }
  ShapeHint s;
  if (v.size() == 3) {
    if (gqa < 1 || v[1] % gqa) {
      error = fmt::format("shape '{}': {} heads is not a multiple of gqa {}", text, v[1], gqa);
      return std::nullopt;
    }
    s = {v[0], v[1], v[1] / gqa, v[2], v[2]};
  } else if (v.size() == 5) {
    s = {v[0], v[1], v[2], v[3], v[4]};
    if (v[2] * gqa != v[1]) {
      error = fmt::format("shape '{}': heads_q {} != heads_kv {} x gqa {}", text, v[1], v[2], gqa);
      return std::nullopt;
    }
  } else {
    error = fmt::format("bad shape '{}': expected B,H,N or B,Hq,Hkv,Nq,Nk", text);
    return std::nullopt;
  }
  return s;
}

std::string toString(const ShapeHint &s) {
  return fmt::format("{},{},{},{},{}", s.batch, s.headsQ, s.headsKv, s.seqQ, s.seqK);
}

int maxSmemBytes(const Target &t) {
  if (t.sm >= 90)
    return kSm90MaxSmemBytes; // 227 KB
  if (t.sm == 80)
    return 163 * 1024;
  return 99 * 1024; // sm_86, sm_89
}

bool isLegalConfig(const Variant &v, const Target &target, Mainloop m, const TuneConfig &c,
                   std::string *why) {
  const Tiles &t = c.tiles;
  if (t.blockM < 1 || t.blockN < 1 || t.warps < 1 || t.stages < 1 || c.kvChunk < 1)
    return fail(why, "tiles and kv_chunk must be positive");
  if (c.kvChunk % 64)
    return fail(why, fmt::format("kv_chunk {} is not a multiple of 64", c.kvChunk));
  const int qk = toDtCode(v.qk), pv = toDtCode(v.pv);
  if (m == Mainloop::Wgmma) {
    // kernel/mainloop_sm90.cuh's static_asserts.
    if (!target.hasWgmma())
      return fail(why, fmt::format("{} has no wgmma", target.name()));
    if (!wgmmaSupports(v.head_dim, qk, pv))
      return fail(why, "the wgmma mainloop does not implement this variant");
    if (!sm90WarpLayout(t.blockM, t.warps))
      return fail(why, fmt::format("wgmma needs block_m 128 with 12 warps or 192 with 16 (1 "
                                   "producer + 2 or 3 consumer warpgroups), got block_m {} "
                                   "and {} warps",
                                   t.blockM, t.warps));
    if (t.warps == 16 && !sm90ThreeConsumersFit(v.head_dim, qk, pv))
      return fail(why, "three consumer warpgroups (16 warps) need 8-bit QK, FP8 PV and head "
                       "dim 64 or 128");
    if (t.blockN != 64 && t.blockN != 128)
      return fail(why, fmt::format("wgmma needs block_n 64 or 128, got {}", t.blockN));
    if (t.stages < 2 || t.stages > 4)
      return fail(why, fmt::format("wgmma pipelines 2 to 4 stages, got {}", t.stages));
  } else {
    // kernel/mainloop_sm80.cuh's static_asserts.
    if (t.blockM != 16 * t.warps)
      return fail(why, fmt::format("mma.sync needs block_m = 16 * warps = {}, got {}",
                                   16 * t.warps, t.blockM));
    if (t.warps != 4 && t.warps != 8)
      return fail(why, fmt::format("mma.sync runs 4 or 8 warps, got {}", t.warps));
    if (t.blockN % 32)
      return fail(why, fmt::format("block_n {} is not a multiple of 32", t.blockN));
    if (t.stages < 2 || t.stages > 4)
      return fail(why, fmt::format("mma.sync pipelines 2 to 4 stages, got {}", t.stages));
    // The K scales of every stage share attentionSmemBytes' 1 KB slack.
    if (127 + t.stages * t.blockN * 4 > 1024)
      return fail(why, fmt::format("{} stages of {} K scales overflow the 1 KB slack",
                                   t.stages, t.blockN));
    const int rowBytes = v.head_dim * bitWidth(v.qk) / 8;
    const bool pv8 = bitWidth(v.pv) == 8;
    const int vImage = pv8 ? v.head_dim * t.blockN : t.blockN * 2 * v.head_dim;
    if ((t.blockM * rowBytes) % 1024 || (t.blockN * rowBytes) % 1024 || vImage % 1024)
      return fail(why, "tile images must be whole 1024-byte panels");
  }
  const int smem = attentionSmemBytes(mainloopCode(m), v.head_dim, qk, pv, t.blockM, t.blockN,
                                      t.stages);
  if (smem > maxSmemBytes(target))
    return fail(why, fmt::format("{} bytes of shared memory, more than the {} of {}", smem,
                                 maxSmemBytes(target), target.name()));
  return true;
}

TuneConfig heuristicConfig(const Variant &v, Mainloop m) {
  TileChoice c = selectTileSize(mainloopCode(m), v.head_dim, toDtCode(v.qk), toDtCode(v.pv),
                                v.mask == MaskKind::Causal, v.hasKernelExtras());
  return TuneConfig{Tiles{c.blockM, c.blockN, c.warps, c.stages}, 1024};
}

std::vector<TuneConfig> legalConfigs(const Variant &v, const Target &target, Mainloop m,
                                     bool hasKvStats) {
  std::vector<TuneConfig> out;
  auto add = [&](const TuneConfig &c) {
    if (isLegalConfig(v, target, m, c) && std::find(out.begin(), out.end(), c) == out.end())
      out.push_back(c);
  };
  add(heuristicConfig(v, m));
  std::vector<int> chunks = {1024};
  if (hasKvStats)
    chunks.assign(std::begin(kKvChunks), std::end(kKvChunks));
  const std::vector<int> warps =
      m == Mainloop::Wgmma ? std::vector<int>{12, 16} : std::vector<int>{4, 8};
  const std::vector<int> blockNs =
      m == Mainloop::Wgmma ? std::vector<int>{64, 128} : std::vector<int>{32, 64, 128};
  for (int w : warps)
    for (int bn : blockNs)
      for (int s = 2; s <= 4; ++s)
        for (int kv : chunks)
          add(TuneConfig{
              Tiles{m == Mainloop::Wgmma ? 64 * sm90ConsumerWarpgroups(w) : 16 * w, bn, w, s},
              kv});
  return out;
}

std::vector<Candidate> tuningCandidates(const KernelPlan &base,
                                        const std::optional<ShapeHint> &shape,
                                        const DeviceCeilings &dev) {
  const bool stats = base.find(KernelRole::KVStats) != nullptr;
  std::vector<Candidate> out;
  for (const TuneConfig &c : legalConfigs(base.variant, base.target, base.mainloop, stats)) {
    Candidate cand;
    cand.config = c;
    int regs = fragmentRegisters(base.variant, base.mainloop, c.tiles);
    if (regs > fragmentBudget(base.mainloop, c.tiles)) {
      cand.pruned = true;
      cand.reason = fmt::format("register budget: {} fragment registers per thread > {}", regs,
                                fragmentBudget(base.mainloop, c.tiles));
    }
    out.push_back(cand);
  }
  if (!shape)
    return out;
  // Chunks that cover the sequences in the same number of KVStats CTAs do the
  // same work (a chunk's loop stops at the sequence's end): keep the first.
  auto chunks = [&](const TuneConfig &c) {
    return std::make_pair((shape->seqK + c.kvChunk - 1) / c.kvChunk,
                          (shape->seqQ + c.kvChunk - 1) / c.kvChunk);
  };
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t j = 0; j < i && !out[i].pruned; ++j)
      if (!out[j].pruned && out[j].config.tiles == out[i].config.tiles &&
          chunks(out[j].config) == chunks(out[i].config)) {
        out[i].pruned = true;
        out[i].reason = fmt::format("same KVStats grid as {} on this shape", toString(out[j].config));
      }
  // The model's floor of each candidate on its padded work: tiles that pad
  // the sequence further do more matmul and exp work for the same result.
  ProblemShape ps{shape->batch, shape->headsQ, shape->headsKv, shape->seqQ, shape->seqK};
  double best = 0;
  for (Candidate &cand : out) {
    KernelPlan p = applyConfig(base, cand.config);
    CostReport r = analyzeCost(p, ps, dev);
    auto pad = [](long long n, int b) { return double((n + b - 1) / b * b) / double(n); };
    const double padding = pad(ps.seqQ, p.tiles.blockM) * pad(ps.seqK, p.tiles.blockN);
    cand.floorMs = std::max({r.tMatmul * padding, r.tExp * padding, r.tHbm}) * 1e3;
    if (!cand.pruned && (best == 0 || cand.floorMs < best))
      best = cand.floorMs;
  }
  for (Candidate &cand : out)
    if (!cand.pruned && cand.floorMs * kBestFloorFraction > best) {
      cand.pruned = true;
      cand.reason = fmt::format("model: floor {:.4f} ms > {:.4f} ms / {} (the best floor over "
                                "the best fraction of it any kernel reaches)",
                                cand.floorMs, best, kBestFloorFraction);
    }
  return out;
}

KernelPlan applyConfig(const KernelPlan &base, const TuneConfig &c) {
  KernelPlan p = base;
  p.tiles = c.tiles;
  p.kvChunk = c.kvChunk;
  for (KernelDesc &k : p.kernels)
    if (k.role == KernelRole::Attention) {
      k.threads = c.tiles.warps * 32;
      k.smemBytes = attentionSmemBytes(mainloopCode(p.mainloop), p.variant.head_dim,
                                       toDtCode(p.variant.qk), toDtCode(p.variant.pv),
                                       c.tiles.blockM, c.tiles.blockN, c.tiles.stages);
    }
  return p;
}

} // namespace attngen
