//===- Launch.cpp - Checked launch arguments and grids --------------------===//

#include "attngen/runtime/Launch.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>

namespace attngen {

namespace {

// log2(e): the kernels compute softmax with exp2, so s * log2(e) is folded
// into the Q scales (defined once here on the host).
constexpr double Log2E = 1.4426950408889634;

Status checkTensor(const char *name, const void *ptr, const int64_t stride[3],
                   size_t elemBytes, int headDim, int heads, int tokens, int batch,
                   bool written) {
  if (!ptr)
    return Error{fmt::format("tensor {} is null", name)};
  if (reinterpret_cast<uintptr_t>(ptr) % TensorAlignment != 0)
    return Error{fmt::format("tensor {} at {} is not {}-byte aligned (the kernels access it "
                             "in 16-byte vectors)",
                             name, ptr, TensorAlignment)};
  static const char *const Dims[3] = {"batch", "head", "token"};
  for (int i = 0; i < 3; ++i) {
    if (stride[i] < 0)
      return Error{fmt::format("tensor {}: {} stride {} is negative", name, Dims[i], stride[i])};
    if (uint64_t(stride[i]) * elemBytes % TensorAlignment != 0)
      return Error{fmt::format("tensor {}: {} stride {} elements ({} bytes) is not a multiple "
                               "of {} bytes",
                               name, Dims[i], stride[i], uint64_t(stride[i]) * elemBytes,
                               TensorAlignment)};
  }
  if (tokens > 1 && stride[2] < headDim)
    return Error{fmt::format("tensor {}: token stride {} is smaller than the head dim {} "
                             "(rows would overlap; strides are in elements)",
                             name, stride[2], headDim)};
  // Two output rows at the same address would race.
  if (written && ((heads > 1 && stride[1] == 0) || (batch > 1 && stride[0] == 0)))
    return Error{fmt::format("output tensor {} has a zero head or batch stride", name)};
  if (written) {
    // Nor may output rows share any element: with the dims of extent > 1 in
    // ascending stride order, each stride must step over all that the smaller
    // ones span (head stride = token stride = D would interleave rows).
    struct Dim {
      int64_t stride, extent;
    } dims[3] = {{stride[0], batch}, {stride[1], heads}, {stride[2], tokens}};
    std::sort(std::begin(dims), std::end(dims),
              [](const Dim &a, const Dim &b) { return a.stride < b.stride; });
    int64_t span = headDim;
    for (const Dim &d : dims) {
      if (d.extent <= 1)
        continue;
      if (d.stride < span)
        return Error{fmt::format("output tensor {}: rows overlap (strides batch {}, head {}, "
                                 "token {} for {} x {} x {} rows of {} elements)",
                                 name, stride[0], stride[1], stride[2], batch, heads, tokens,
                                 headDim)};
      const int64_t room = (std::numeric_limits<int64_t>::max() - span) / (d.extent - 1);
      span = d.stride > room ? std::numeric_limits<int64_t>::max()
                             : span + d.stride * (d.extent - 1);
    }
  }
  return Status::ok();
}

/// A bias tensor (a low-rank factor or the dense table): on the device,
/// aligned for the kernel's reads of `elems` 16-bit elements at a time (its
/// base on 2 * elems bytes, every stride a multiple of elems).
Status checkBiasTensor(const char *name, const void *ptr, const int64_t stride[3], int elems) {
  if (!ptr)
    return Error{fmt::format("the bias tensor {} is null", name)};
  const size_t align = 2 * size_t(elems);
  static const char *const Dims[3] = {"batch", "head", "token"};
  if (reinterpret_cast<uintptr_t>(ptr) % align != 0)
    return Error{fmt::format("bias tensor {} at {} is not {}-byte aligned", name, ptr, align)};
  for (int i = 0; i < 3; ++i) {
    if (stride[i] < 0)
      return Error{
          fmt::format("bias tensor {}: {} stride {} is negative", name, Dims[i], stride[i])};
    if (uint64_t(stride[i]) * 2 % align != 0)
      return Error{fmt::format("bias tensor {}: {} stride {} must be a multiple of {}: the "
                               "kernel reads {} elements at a time",
                               name, Dims[i], stride[i], elems, elems)};
  }
  return Status::ok();
}

} // namespace

namespace {

void setShape(AttnParams &params, const Problem &p) {
  params.batch = p.batch;
  params.heads_q = p.heads_q;
  params.heads_kv = p.heads_kv;
  params.seq_q = p.seq_q;
  params.seq_k = p.seq_k;
}

/// Everything validateLaunch checks except the workspace.
Status validateArguments(const KernelPlan &plan, const Problem &p, const Tensors &t) {
  const Variant &v = plan.variant;
  if (p.batch < 1 || p.heads_q < 1 || p.heads_kv < 1)
    return Error{fmt::format("batch ({}), heads_q ({}) and heads_kv ({}) must be at least 1",
                             p.batch, p.heads_q, p.heads_kv)};
  if (p.seq_q < 1 || p.seq_k < 1)
    return Error{fmt::format("sequence lengths must be at least 1 (seq_q {}, seq_k {})",
                             p.seq_q, p.seq_k)};
  if (v.gqa < 1 || int64_t(p.heads_kv) * v.gqa != p.heads_q)
    return Error{fmt::format("heads_q ({}) must equal heads_kv ({}) * gqa ({}) of variant '{}'",
                             p.heads_q, p.heads_kv, v.gqa, v.name)};
  // Heads and batch are the grid's y and z dimensions (the prologues', the
  // mma.sync attention kernel's).
  if (p.heads_q > MaxGridYZ || p.batch > MaxGridYZ)
    return Error{fmt::format("heads_q {} or batch {} exceeds the grid limit {}", p.heads_q,
                             p.batch, MaxGridYZ)};
  if (v.head_dim < 16 || v.head_dim > 256 || v.head_dim % 16 != 0)
    return Error{fmt::format("head dim {} of the plan is not supported (a multiple of 16 "
                             "from 16 to 256)",
                             v.head_dim)};
  if (plan.kernels.empty() || !plan.find(KernelRole::Attention))
    return Error{"the plan has no attention kernel"};
  // The wgmma kernel numbers its tiles (blockM rows of one head) with an int
  // and steps by its grid size (at most 2^30 more: no overflow).
  const int64_t qBlocks = (int64_t(p.seq_q) + plan.tiles.blockM - 1) / plan.tiles.blockM;
  const int64_t tiles = qBlocks * p.heads_q * p.batch;
  if (plan.mainloop == Mainloop::Wgmma && tiles > (int64_t(1) << 30))
    return Error{fmt::format("{} query tiles ({} x {} heads x {} batches) exceed 2^30", tiles,
                             qBlocks, p.heads_q, p.batch)};

  const size_t inBytes = size_t(bitWidth(v.input)) / 8;
  const size_t outBytes = size_t(bitWidth(v.output)) / 8;
  if (inBytes < 2 || outBytes < 2)
    return Error{fmt::format("input type {} / output type {} is not a 16- or 32-bit type",
                             toString(v.input), toString(v.output))};
  struct TensorArg {
    const char *name;
    const void *ptr;
    const int64_t *stride;
    size_t elemBytes;
    int heads, tokens;
    bool written;
  };
  const TensorArg tensors[] = {
      {"q", t.q, t.q_stride, inBytes, p.heads_q, p.seq_q, false},
      {"k", t.k, t.k_stride, inBytes, p.heads_kv, p.seq_k, false},
      {"v", t.v, t.v_stride, inBytes, p.heads_kv, p.seq_k, false},
      {"o", t.o, t.o_stride, outBytes, p.heads_q, p.seq_q, true},
  };
  for (const TensorArg &a : tensors)
    if (Status s = checkTensor(a.name, a.ptr, a.stride, a.elemBytes, v.head_dim, a.heads,
                               a.tokens, p.batch, a.written);
        !s)
      return s;
  if (v.lse && !t.lse)
    return Error{fmt::format("variant '{}' returns the LSE but lse is null", v.name)};
  if (t.lse && reinterpret_cast<uintptr_t>(t.lse) % alignof(float) != 0)
    return Error{"lse is not 4-byte aligned"};
  if (v.bias == BiasKind::Alibi && !t.alibi_slopes)
    return Error{fmt::format("variant '{}' has bias = alibi but alibi_slopes is null: pass "
                             "{} floats on the device, one slope per query head (the "
                             "standard ones: attngen::alibiSlope(h, heads))",
                             v.name, p.heads_q)};
  if (t.alibi_slopes && reinterpret_cast<uintptr_t>(t.alibi_slopes) % alignof(float) != 0)
    return Error{"alibi_slopes is not 4-byte aligned"};
  if (v.bias == BiasKind::LowRank) {
    if (t.bias_rank != v.bias_rank)
      return Error{fmt::format("variant '{}' has bias = lowrank({}) but the factors have rank "
                               "{} (Tensors::bias_rank: their last dimension)",
                               v.name, v.bias_rank, t.bias_rank)};
    // The widest piece that divides the rank (mask/bias.cuh: kb rows are
    // staged in 16-byte pieces when R % 8 == 0, rank pairs read as words).
    const int r = v.bias_rank, elems = r % 8 == 0 ? 8 : r % 4 == 0 ? 4 : r % 2 == 0 ? 2 : 1;
    if (Status s = checkBiasTensor("qb", t.bias_q, t.bias_q_stride, elems); !s)
      return s;
    if (Status s = checkBiasTensor("kb", t.bias_k, t.bias_k_stride, elems); !s)
      return s;
  }
  if (t.seq_lens_k && reinterpret_cast<uintptr_t>(t.seq_lens_k) % alignof(int) != 0)
    return Error{"seq_lens_k is not 4-byte aligned"};
  // The table's rows are staged in 16-byte pieces (mask/bias.cuh).
  if (v.bias == BiasKind::Dense)
    if (Status s = checkBiasTensor("bias_dense", t.bias_dense, t.bias_dense_stride, 8); !s)
      return s;
  if (t.bias_block_map && v.bias != BiasKind::Dense)
    return Error{fmt::format("bias_block_map is given but variant '{}' has no dense bias (bias "
                             "= {}): a block map belongs to a dense table",
                             v.name, biasSpelling(v.bias, v.bias_rank))};
  return Status::ok();
}

Status checkWorkspace(const WorkspaceLayout &layout, const void *workspace,
                      size_t workspaceBytes) {
  if (layout.totalBytes > 0) {
    if (!workspace)
      return Error{fmt::format("the workspace is null but this problem needs {} bytes",
                               layout.totalBytes)};
    if (reinterpret_cast<uintptr_t>(workspace) % WorkspaceAlignment != 0)
      return Error{fmt::format("the workspace at {} is not {}-byte aligned", workspace,
                               WorkspaceAlignment)};
    if (workspaceBytes < layout.totalBytes)
      return Error{fmt::format("the workspace has {} bytes but this problem needs {}",
                               workspaceBytes, layout.totalBytes)};
  }
  return Status::ok();
}

} // namespace

Status validateLaunch(const KernelPlan &plan, const Problem &p, const Tensors &t,
                      const void *workspace, size_t workspaceBytes) {
  if (Status s = validateArguments(plan, p, t); !s)
    return s;
  auto layout = computeWorkspace(plan, p);
  if (!layout)
    return Error{layout.message()};
  return checkWorkspace(*layout, workspace, workspaceBytes);
}

Expected<AttnParams> buildParams(const KernelPlan &plan, const Problem &p, const Tensors &t,
                                 void *workspace, size_t workspaceBytes) {
  // One workspace layout per launch: validated and then used to fill the params.
  if (Status s = validateArguments(plan, p, t); !s)
    return Error{s.message()};
  auto layout = computeWorkspace(plan, p);
  if (!layout)
    return layout.error();
  if (Status s = checkWorkspace(*layout, workspace, workspaceBytes); !s)
    return Error{s.message()};
  AttnParams params{};
  params.q = t.q;
  params.k = t.k;
  params.v = t.v;
  params.o = t.o;
  params.lse = plan.variant.lse ? t.lse : nullptr;
  params.alibi_slopes = plan.variant.bias == BiasKind::Alibi ? t.alibi_slopes : nullptr;
  params.seq_lens_k = t.seq_lens_k;
  if (plan.variant.bias == BiasKind::LowRank) {
    params.bias_q = t.bias_q;
    params.bias_k = t.bias_k;
    for (int i = 0; i < 3; ++i) {
      params.bias_q_stride[i] = t.bias_q_stride[i];
      params.bias_k_stride[i] = t.bias_k_stride[i];
    }
  }
  if (plan.variant.bias == BiasKind::Dense) {
    params.bias_dense = t.bias_dense;
    for (int i = 0; i < 3; ++i)
      params.bias_dense_stride[i] = t.bias_dense_stride[i];
    if (t.bias_block_map) {
      auto g = blockMapGeometry(plan, p, t);
      if (!g)
        return g.error();
      params.bias_map = static_cast<const unsigned char *>(t.bias_block_map);
      params.bias_map_stride[0] = g->stride[0];
      params.bias_map_stride[1] = g->stride[1];
      params.bias_map_cols = g->cols;
    }
  }
  for (int i = 0; i < 3; ++i) {
    params.q_stride[i] = t.q_stride[i];
    params.k_stride[i] = t.k_stride[i];
    params.v_stride[i] = t.v_stride[i];
    params.o_stride[i] = t.o_stride[i];
  }
  setShape(params, p);
  double s = plan.variant.effectiveScale();
  params.sm_scale = float(s);
  params.sm_scale_log2 = float(s * Log2E);
  fillWorkspace(params, *layout, workspace);
  return params;
}

GridDims gridFor(KernelRole role, const KernelPlan &plan, const AttnParams &p,
                 unsigned maxCtas) {
  switch (role) {
  case KernelRole::KVStats:
    // Balancing: the same blocks also reduce Q's chunks (q_chunks may exceed
    // kv_chunks when Nq > Nk).
    return {unsigned(p.kv_chunks > p.q_chunks ? p.kv_chunks : p.q_chunks), unsigned(p.heads_kv),
            unsigned(p.batch)};
  case KernelRole::QuantKV:
    return {unsigned(p.seq_k_pad / plan.tiles.blockN), unsigned(p.heads_kv),
            unsigned(p.batch)};
  case KernelRole::Attention:
    if (plan.mainloop == Mainloop::Wgmma) {
      // (validateArguments keeps tiles at most 2^30.)
      const unsigned tiles = unsigned(p.seq_q_pad / plan.tiles.blockM) * unsigned(p.heads_q) *
                             unsigned(p.batch);
      return {maxCtas > 0 ? std::min(tiles, maxCtas) : tiles, 1u, 1u};
    }
    [[fallthrough]];
  case KernelRole::QuantQ:
    return {unsigned(p.seq_q_pad / plan.tiles.blockM), unsigned(p.heads_q), unsigned(p.batch)};
  }
  return {};
}

Expected<BlockMapGeometry> blockMapGeometry(const KernelPlan &plan, const Problem &p,
                                            const Tensors &t) {
  const Variant &v = plan.variant;
  if (v.bias != BiasKind::Dense)
    return Error{fmt::format("variant '{}' has no dense bias (bias = {}): it has no block map",
                             v.name, biasSpelling(v.bias, v.bias_rank))};
  if (p.batch < 1 || p.heads_q < 1 || p.seq_q < 1 || p.seq_k < 1)
    return Error{fmt::format("batch ({}), heads_q ({}), seq_q ({}) and seq_k ({}) must be at "
                             "least 1",
                             p.batch, p.heads_q, p.seq_q, p.seq_k)};
  if (Status s = checkBiasTensor("bias_dense", t.bias_dense, t.bias_dense_stride, 8); !s)
    return Error{s.message()};
  BlockMapGeometry g;
  g.batches = t.bias_dense_stride[0] != 0 ? p.batch : 1;
  g.heads = t.bias_dense_stride[1] != 0 ? p.heads_q : 1;
  g.rows = (p.seq_q + plan.tiles.blockM - 1) / plan.tiles.blockM;
  g.cols = (p.seq_k + plan.tiles.blockN - 1) / plan.tiles.blockN;
  const int64_t perHead = int64_t(g.rows) * g.cols;
  g.stride[1] = g.heads > 1 ? perHead : 0;
  g.stride[0] = g.batches > 1 ? perHead * g.heads : 0;
  g.bytes = size_t(perHead) * size_t(g.heads) * size_t(g.batches);
  if (int64_t(g.batches) * g.heads > MaxGridYZ || g.rows > MaxGridYZ)
    return Error{fmt::format("the block map's grid ({} batches x {} heads, {} row blocks) "
                             "exceeds the grid limit {}",
                             g.batches, g.heads, g.rows, MaxGridYZ)};
  return g;
}

Expected<AttnParams> buildBlockMapParams(const KernelPlan &plan, const Problem &p,
                                         const Tensors &t, void *map, size_t mapBytes,
                                         BlockMapGeometry *geometry) {
  auto g = blockMapGeometry(plan, p, t);
  if (!g)
    return g.error();
  if (geometry)
    *geometry = *g;
  if (!map)
    return Error{"the block map buffer is null"};
  if (mapBytes < g->bytes)
    return Error{fmt::format("the block map buffer has {} bytes but this table needs {} "
                             "({} x {} x {} x {} tiles of {} x {})",
                             mapBytes, g->bytes, g->batches, g->heads, g->rows, g->cols,
                             plan.tiles.blockM, plan.tiles.blockN)};
  AttnParams params{};
  setShape(params, p);
  params.bias_dense = t.bias_dense;
  for (int i = 0; i < 3; ++i)
    params.bias_dense_stride[i] = t.bias_dense_stride[i];
  params.bias_map = static_cast<const unsigned char *>(map);
  params.bias_map_stride[0] = g->stride[0];
  params.bias_map_stride[1] = g->stride[1];
  params.bias_map_cols = g->cols;
  return params;
}

GridDims gridForBlockMap(const BlockMapGeometry &g) {
  return {unsigned(g.cols), unsigned(g.rows), unsigned(g.batches * g.heads)};
}

} // namespace attngen
