//===- Workspace.cpp - Regions of the scratch buffer of a plan ------------===//

#include "attngen/runtime/Workspace.h"

#include <fmt/format.h>

#include <climits>
#include <cstring>

namespace attngen {

namespace {
size_t alignUp(size_t x, size_t a) { return (x + a - 1) / a * a; }

// Every workspace member of AttnParams, in declaration order.
struct FieldSlot {
  const char *name;
  void *AttnParams::*untyped;
  float *AttnParams::*floats;
};
const FieldSlot Fields[] = {
    {"q_quant", &AttnParams::q_quant, nullptr},    {"q_scale", nullptr, &AttnParams::q_scale},
    {"q_mean", nullptr, &AttnParams::q_mean},       {"q_kmean", nullptr, &AttnParams::q_kmean},
    {"k_quant", &AttnParams::k_quant, nullptr},     {"k_scale", nullptr, &AttnParams::k_scale},
    {"k_partial", nullptr, &AttnParams::k_partial}, {"k_mean", nullptr, &AttnParams::k_mean},
    {"v_quant", &AttnParams::v_quant, nullptr},     {"v_scale", nullptr, &AttnParams::v_scale},
    {"v_partial", nullptr, &AttnParams::v_partial}, {"v_mean", nullptr, &AttnParams::v_mean},
    {"q_partial", nullptr, &AttnParams::q_partial}, {"qk_balance", nullptr, &AttnParams::qk_balance},
    {"kv_head", nullptr, &AttnParams::kv_head},     {"kv_done", &AttnParams::kv_done, nullptr},
    {"tile_counter", &AttnParams::tile_counter, nullptr},
};
} // namespace

const WorkspaceRegion *WorkspaceLayout::find(const char *field) const {
  for (const WorkspaceRegion &r : regions)
    if (std::strcmp(r.field, field) == 0)
      return &r;
  return nullptr;
}

Expected<WorkspaceLayout> computeWorkspace(const KernelPlan &plan, const Problem &p) {
  const Variant &v = plan.variant;
  const Tiles &t = plan.tiles;
  if (p.batch < 1 || p.heads_q < 1 || p.heads_kv < 1 || p.seq_q < 1 || p.seq_k < 1)
    return Error{fmt::format("every shape must be positive: batch {}, heads_q {}, heads_kv {}, "
                             "seq_q {}, seq_k {}",
                             p.batch, p.heads_q, p.heads_kv, p.seq_q, p.seq_k)};
  if (t.blockM < 1 || t.blockN < 1 || plan.kvChunk < 1 || v.head_dim < 1)
    return Error{fmt::format("plan has invalid tiles (blockM {}, blockN {}, kvChunk {}, "
                             "head_dim {})",
                             t.blockM, t.blockN, plan.kvChunk, v.head_dim)};
  if (int64_t(p.seq_q) + t.blockM - 1 > INT_MAX || int64_t(p.seq_k) + t.blockN - 1 > INT_MAX)
    return Error{fmt::format("sequence lengths {} / {} overflow an int once padded", p.seq_q,
                             p.seq_k)};

  WorkspaceLayout l;
  l.seqQPad = (p.seq_q + t.blockM - 1) / t.blockM * t.blockM;
  l.seqKPad = (p.seq_k + t.blockN - 1) / t.blockN * t.blockN;
  l.kvChunks = (p.seq_k + plan.kvChunk - 1) / plan.kvChunk;

  const size_t B = size_t(p.batch), Hq = size_t(p.heads_q), Hkv = size_t(p.heads_kv);
  const size_t D = size_t(v.head_dim), NqPad = size_t(l.seqQPad), NkPad = size_t(l.seqKPad);
  const size_t F = sizeof(float);
  const bool quantQK = bitWidth(v.qk) <= 8;
  const bool eightBitPV = bitWidth(v.pv) <= 8;
  const bool hasQuantQ = plan.find(KernelRole::QuantQ) != nullptr;
  const bool hasQuantKV = plan.find(KernelRole::QuantKV) != nullptr;
  const bool hasKVStats = plan.find(KernelRole::KVStats) != nullptr;
  // Balancing needs Q's channel extrema from KVStats (planRoles adds it).
  const bool balance = quantQK && v.balance && hasKVStats;
  l.qChunks = balance ? (p.seq_q + plan.kvChunk - 1) / plan.kvChunk : 0;

  // Bytes of each region (0: unused by this plan), in the order of Fields.
  // Q scales and the LSE correction stay allocated even when Q is quantized
  // inside the attention kernel: they are small, and the kernel may spill to them.
  // The per-head channel vectors (k_mean, v_mean, v_scale) and q_kmean exist
  // whenever their prologue runs: QuantKV / QuantQ write them for every
  // variant (zeros or ones when unused), and the epilogue reads them. Without
  // QuantQ (wgmma) the attention kernel writes q_kmean itself for the LSE.
  const size_t sizes[] = {
      hasQuantQ ? B * Hq * NqPad * D * size_t(bitWidth(v.qk)) / 8 : 0,      // q_quant
      quantQK ? B * Hq * NqPad * F : 0,                                     // q_scale
      v.smooth_q ? B * Hq * (NqPad / size_t(t.blockM)) * D * F : 0,         // q_mean
      B * Hq * NqPad * F,                                                   // q_kmean
      hasQuantKV ? B * Hkv * NkPad * D * size_t(bitWidth(v.qk)) / 8 : 0,    // k_quant
      quantQK ? B * Hkv * NkPad * F : 0,                                    // k_scale
      hasKVStats ? B * Hkv * size_t(l.kvChunks) * 3 * D * F : 0,            // k_partial
      hasQuantKV ? B * Hkv * D * F : 0,                                     // k_mean
      hasQuantKV ? B * Hkv * NkPad * D * size_t(bitWidth(v.pv)) / 8 : 0,    // v_quant
      !hasQuantKV ? 0
      : !eightBitPV || v.v_granularity == Granularity::Channel
          ? B * Hkv * D * F
          : B * Hkv * (NkPad / size_t(t.blockN)) * D * F,                   // v_scale
      hasKVStats ? B * Hkv * size_t(l.kvChunks) * 3 * D * F : 0,            // v_partial
      hasQuantKV ? B * Hkv * D * F : 0,                                     // v_mean
      B * Hkv * size_t(l.qChunks) * D * F,                                  // q_partial
      balance && hasQuantKV ? B * Hkv * D * F : 0,                          // qk_balance
      hasKVStats ? B * Hkv * 7 * D * F : 0,                                 // kv_head
      hasKVStats ? B * Hkv * sizeof(unsigned) : 0,                          // kv_done
      // Every wgmma plan: whether its kernel schedules dynamically is the
      // module's word (attngen_persistent), and one int is no cost.
      plan.mainloop == Mainloop::Wgmma ? sizeof(int) : 0,                   // tile_counter
  };
  static_assert(sizeof(sizes) / sizeof(sizes[0]) == sizeof(Fields) / sizeof(Fields[0]),
                "one size per workspace field");

  size_t offset = 0;
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
    WorkspaceRegion r{Fields[i].name, sizes[i] ? offset : 0, sizes[i]};
    offset = alignUp(offset + sizes[i], WorkspaceAlignment);
    l.regions.push_back(r);
  }
  l.totalBytes = offset;
  return l;
}

void fillWorkspace(AttnParams &params, const WorkspaceLayout &layout, void *base) {
  for (size_t i = 0; i < layout.regions.size(); ++i) {
    const WorkspaceRegion &r = layout.regions[i];
    char *ptr = r.bytes && base ? static_cast<char *>(base) + r.offset : nullptr;
    if (Fields[i].untyped)
      params.*Fields[i].untyped = ptr;
    else
      params.*Fields[i].floats = reinterpret_cast<float *>(ptr);
  }
  params.seq_q_pad = layout.seqQPad;
  params.seq_k_pad = layout.seqKPad;
  params.kv_chunks = layout.kvChunks;
  params.q_chunks = layout.qChunks;
}

} // namespace attngen
