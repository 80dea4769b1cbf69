//===- Check.cpp - Run a generated kernel against the CPU reference -------===//

#include "attngen/runtime/Check.h"

#include "attngen/Analysis/CostModel.h"
#include "attngen/reference/Convert.h"
#include "attngen/reference/Emulate.h"
#include "attngen/reference/Exact.h"
#include "attngen/reference/Inputs.h"
#include "attngen/reference/Tolerance.h"
#include "attngen/runtime/DeviceMemory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace attngen {

using namespace attngen::ref;

namespace {

/// [B, H, N, D] -> [B, N, H, D] (or back with `inverse`).
std::vector<float> swapHeadsTokens(const std::vector<float> &x, int batch, int heads, int seq,
                                   int dim, bool inverse) {
  std::vector<float> y(x.size());
  for (int b = 0; b < batch; ++b)
    for (int h = 0; h < heads; ++h)
      for (int n = 0; n < seq; ++n) {
        size_t bhnd = ((size_t(b) * heads + h) * seq + n) * dim;
        size_t bnhd = ((size_t(b) * seq + n) * heads + h) * dim;
        for (int d = 0; d < dim; ++d)
          (inverse ? y[bhnd + d] : y[bnhd + d]) = inverse ? x[bnhd + d] : x[bhnd + d];
      }
  return y;
}

} // namespace

Expected<std::unique_ptr<DeviceProblem>> makeDeviceProblem(const Kernel &kernel,
                                                           const AttnShape &s, InputKind kind,
                                                           uint64_t seed) {
  const Variant &var = kernel.plan().variant;
  if (s.headDim != var.head_dim)
    return Error{fmt::format("shape head dim {} != the variant's {}", s.headDim, var.head_dim)};
  auto p = std::make_unique<DeviceProblem>();
  p->problem = {s.batch, s.headsQ, s.headsKv, s.seqQ, s.seqK};
  p->shape = s;
  if (std::string err = validate(s); !err.empty())
    return Error{err};
  p->inputs = kind == InputKind::Random ? randomNormal(s, seed) : activationLike(s, seed);
  const bool bnhd = var.layout == Layout::BNHD;
  // Rounds `host` to the input type (what the GPU sees) and uploads it, in
  // bnhd order when `heads` > 0 and the variant says so (else as it is).
  auto upload = [&](std::vector<float> &host, int heads, int seq, DeviceBuffer &dev) -> Status {
    std::vector<uint16_t> bits = floatsToHalfBits(host, var.input);
    host = halfBitsToFloats(bits.data(), bits.size(), var.input);
    if (bnhd && heads > 0)
      bits = floatsToHalfBits(swapHeadsTokens(host, s.batch, heads, seq, s.headDim, false),
                              var.input);
    auto b = DeviceBuffer::fromHost(bits.data(), bits.size() * 2);
    if (!b)
      return b.status();
    dev = std::move(*b);
    return Status::ok();
  };
  if (Status st = upload(p->inputs.q, s.headsQ, s.seqQ, p->q); !st)
    return Error{st.message()};
  if (Status st = upload(p->inputs.k, s.headsKv, s.seqK, p->k); !st)
    return Error{st.message()};
  if (Status st = upload(p->inputs.v, s.headsKv, s.seqK, p->v); !st)
    return Error{st.message()};
  const size_t wsBytes = kernel.workspaceBytes(p->problem);
  if (wsBytes == 0)
    return Error{"invalid problem for this kernel (workspace size 0)"};
  auto o = DeviceBuffer::allocate(s.qElems() * (bitWidth(var.output) / 8));
  auto lse = DeviceBuffer::allocate(s.lseElems() * 4);
  auto ws = DeviceBuffer::allocate(wsBytes);
  if (!o || !lse || !ws)
    return Error{!o ? o.message() : !lse ? lse.message() : ws.message()};
  p->o = std::move(*o);
  p->lse = std::move(*lse);
  p->workspace = std::move(*ws);
  Tensors &t = p->tensors;
  t.q = p->q.data();
  t.k = p->k.data();
  t.v = p->v.data();
  t.o = p->o.data();
  t.lse = var.lse ? static_cast<float *>(p->lse.data()) : nullptr;
  if (var.bias == BiasKind::Alibi) {
    p->inputs.alibiSlopes = standardAlibiSlopes(s.headsQ);
    const std::vector<float> &slopes = p->inputs.alibiSlopes;
    auto buf = DeviceBuffer::fromHost(slopes.data(), slopes.size() * 4);
    if (!buf)
      return Error{buf.message()};
    p->alibiSlopesDev = std::move(*buf);
    t.alibi_slopes = static_cast<const float *>(p->alibiSlopesDev.data());
  }
  if (var.bias == BiasKind::LowRank) {
    const int R = var.bias_rank;
    addLowRankBias(p->inputs, R, seed);
    // Dense [B, Hq, N, R] whatever the variant's layout of Q, K, V.
    if (Status st = upload(p->inputs.biasQ, 0, 0, p->biasQDev); !st)
      return Error{st.message()};
    if (Status st = upload(p->inputs.biasK, 0, 0, p->biasKDev); !st)
      return Error{st.message()};
    t.bias_q = p->biasQDev.data();
    t.bias_k = p->biasKDev.data();
    t.bias_rank = R;
    const int64_t qs[3] = {int64_t(s.headsQ) * s.seqQ * R, int64_t(s.seqQ) * R, R};
    const int64_t ks[3] = {int64_t(s.headsQ) * s.seqK * R, int64_t(s.seqK) * R, R};
    std::copy(qs, qs + 3, t.bias_q_stride);
    std::copy(ks, ks + 3, t.bias_k_stride);
  }
  if (var.bias == BiasKind::Dense) {
    addDenseBias(p->inputs, seed);
    if (Status st = setDenseBias(*p, var, p->inputs.biasDense); !st)
      return Error{st.message()};
  }
  denseStrides(t.q_stride, bnhd, s.headsQ, s.seqQ, s.headDim);
  denseStrides(t.k_stride, bnhd, s.headsKv, s.seqK, s.headDim);
  denseStrides(t.v_stride, bnhd, s.headsKv, s.seqK, s.headDim);
  denseStrides(t.o_stride, bnhd, s.headsQ, s.seqQ, s.headDim);
  return p;
}

Status setDenseBias(DeviceProblem &p, const Variant &var, std::vector<float> table) {
  const AttnShape &s = p.shape;
  const size_t nk = size_t(s.seqK), pitch = (nk + 7) / 8 * 8, rows = s.lseElems();
  if (var.bias != BiasKind::Dense || table.size() != rows * nk)
    return Error{fmt::format("a dense bias table of {} x {} entries for a variant with bias = "
                             "dense, got {} for bias = {}",
                             rows, nk, table.size(), biasSpelling(var.bias, var.bias_rank))};
  // Rows padded to a multiple of 8 elements: the kernel stages 16-byte pieces.
  std::vector<float> padded(rows * pitch, 0.f);
  for (size_t r = 0; r < rows; ++r)
    std::copy_n(&table[r * nk], nk, &padded[r * pitch]);
  const std::vector<uint16_t> bits = floatsToHalfBits(padded, var.input);
  auto buf = DeviceBuffer::fromHost(bits.data(), bits.size() * 2);
  if (!buf)
    return buf.status();
  p.biasDenseDev = std::move(*buf);
  // What the GPU sees, unpadded.
  const std::vector<float> seen = halfBitsToFloats(bits.data(), bits.size(), var.input);
  for (size_t r = 0; r < rows; ++r)
    std::copy_n(&seen[r * pitch], nk, &table[r * nk]);
  p.inputs.biasDense = std::move(table);
  p.tensors.bias_dense = p.biasDenseDev.data();
  p.tensors.bias_dense_stride[0] = int64_t(s.headsQ) * s.seqQ * int64_t(pitch);
  p.tensors.bias_dense_stride[1] = int64_t(s.seqQ) * int64_t(pitch);
  p.tensors.bias_dense_stride[2] = int64_t(pitch);
  p.tensors.bias_block_map = nullptr; // a map of the old table would be wrong
  return Status::ok();
}

Status useBlockMap(const Kernel &kernel, DeviceProblem &p) {
  auto bytes = kernel.blockMapBytes(p.problem, p.tensors);
  if (!bytes)
    return bytes.status();
  auto buf = DeviceBuffer::allocate(*bytes);
  if (!buf)
    return buf.status();
  p.blockMapDev = std::move(*buf);
  if (Status st = kernel.buildBlockMap(p.problem, p.tensors, p.blockMapDev.data(), *bytes,
                                       nullptr);
      !st)
    return st;
  p.tensors.bias_block_map = p.blockMapDev.data();
  return Status::ok();
}

Status setKeyLengths(DeviceProblem &p, const Variant &var, const std::vector<int> &lengths) {
  const ref::AttnShape &s = p.shape;
  if (lengths.size() != size_t(s.batch))
    return Error{fmt::format("{} key lengths for {} sequences", lengths.size(), s.batch)};
  for (int n : lengths)
    if (n < 0 || n > s.seqK)
      return Error{fmt::format("key length {} outside [0, {}]", n, s.seqK)};
  auto buf = DeviceBuffer::fromHost(lengths.data(), lengths.size() * 4);
  if (!buf)
    return buf.status();
  p.keyLengthsDev = std::move(*buf);
  p.keyLengths = lengths;
  p.tensors.seq_lens_k = static_cast<const int *>(p.keyLengthsDev.data());
  // The keys past each length become NaN on the device (the reference never
  // reads them): a kernel that reads one cannot pass.
  for (auto [host, dev] : {std::pair{&p.inputs.k, &p.k}, std::pair{&p.inputs.v, &p.v}}) {
    std::vector<float> x = *host;
    for (int b = 0; b < s.batch; ++b)
      for (int h = 0; h < s.headsKv; ++h)
        for (int t = lengths[size_t(b)]; t < s.seqK; ++t)
          std::fill_n(&x[AttnShape::rowOffset(b, h, t, s.headsKv, s.seqK, s.headDim)],
                      s.headDim, std::numeric_limits<float>::quiet_NaN());
    if (var.layout == Layout::BNHD)
      x = swapHeadsTokens(x, s.batch, s.headsKv, s.seqK, s.headDim, false);
    const std::vector<uint16_t> bits = floatsToHalfBits(x, var.input);
    if (Status st = dev->upload(bits.data(), bits.size() * 2); !st)
      return st;
  }
  return Status::ok();
}

Expected<std::vector<float>> readOutput(const DeviceProblem &p, const Variant &var) {
  const size_t n = p.shape.qElems();
  std::vector<float> out(n);
  if (var.output == DType::F32) {
    if (Status s = p.o.download(out.data(), n * 4); !s)
      return Error{s.message()};
  } else {
    std::vector<uint16_t> bits(n);
    if (Status s = p.o.download(bits.data(), n * 2); !s)
      return Error{s.message()};
    out = halfBitsToFloats(bits.data(), n, var.output);
  }
  if (var.layout == Layout::BNHD)
    out = swapHeadsTokens(out, p.shape.batch, p.shape.headsQ, p.shape.seqQ, p.shape.headDim,
                          true);
  return out;
}

double attentionFlops(const Variant &v, const AttnShape &s) {
  KernelPlan plan;
  plan.variant = v;
  return analyzeCost(plan, ProblemShape{s.batch, s.headsQ, s.headsKv, s.seqQ, s.seqK}).flops;
}

Expected<CheckReport> checkAgainstReference(const Kernel &kernel, DeviceProblem &p) {
  const KernelPlan &plan = kernel.plan();
  const Variant &var = plan.variant;
  if (Status st = fillBytes(p.o, 0xFF); !st)
    return Error{st.message()};
  if (Status st = fillBytes(p.lse, 0xFF); !st)
    return Error{st.message()};
  if (Status st = kernel.launch(p.problem, p.tensors, p.workspace.data(), p.workspace.bytes(),
                                nullptr);
      !st)
    return Error{st.message()};
  if (Status st = synchronizeContext(); !st)
    return Error{st.message()};
  auto out = readOutput(p, var);
  if (!out)
    return out.error();

  // The emulation and the exact reference, per sequence when the keys have
  // per-sequence lengths (each sequence is then a problem of its own).
  std::string err;
  ExactOptions eo = exactOptionsFor(var, p.shape.headsQ, p.inputs.alibiSlopes);
  AttnOutput emuOut, exactOut;
  if (p.keyLengths.empty()) {
    auto e = emulate(plan, p.inputs, err);
    if (!e)
      return Error{"emulation: " + err};
    emuOut = std::move(e->out);
    auto x = exactAttention(p.inputs, eo, err);
    if (!x)
      return Error{"exact reference: " + err};
    exactOut = std::move(*x);
  } else {
    for (AttnOutput *o : {&emuOut, &exactOut}) {
      o->o.assign(p.shape.qElems(), 0.f);
      o->lse.assign(p.shape.lseElems(), -std::numeric_limits<float>::infinity());
    }
    const size_t oPer = p.shape.qElems() / p.shape.batch, lPer = p.shape.lseElems() / p.shape.batch;
    for (int b = 0; b < p.shape.batch; ++b) {
      if (p.keyLengths[size_t(b)] == 0)
        continue; // no keys: O = 0, LSE = -inf
      const AttnInputs one = batchPrefix(p.inputs, b, p.keyLengths[size_t(b)]);
      auto e = emulate(plan, one, err);
      if (!e)
        return Error{fmt::format("emulation of sequence {}: {}", b, err)};
      auto x = exactAttention(one, eo, err);
      if (!x)
        return Error{fmt::format("exact reference of sequence {}: {}", b, err)};
      std::copy(e->out.o.begin(), e->out.o.end(), emuOut.o.begin() + b * oPer);
      std::copy(e->out.lse.begin(), e->out.lse.end(), emuOut.lse.begin() + b * lPer);
      std::copy(x->o.begin(), x->o.end(), exactOut.o.begin() + b * oPer);
      std::copy(x->lse.begin(), x->lse.end(), exactOut.lse.begin() + b * lPer);
    }
  }

  CheckReport r;
  r.kernelVsEmulation = compare(*out, emuOut.o);
  r.kernelVsExact = compare(*out, exactOut.o);
  r.emulationVsExact = compare(emuOut.o, exactOut.o);
  ErrorMetrics emuLse = var.lse ? compare(emuOut.lse, exactOut.lse) : ErrorMetrics();
  KernelBounds bounds = deriveBounds(r.emulationVsExact, emuLse, var.output);
  std::vector<std::string> failures = {bounds.vsEmulation.check(r.kernelVsEmulation),
                                       bounds.vsExact.check(r.kernelVsExact)};
  if (var.lse) {
    std::vector<float> lse(p.shape.lseElems());
    if (Status st = p.lse.download(lse.data(), lse.size() * 4); !st)
      return Error{st.message()};
    for (size_t i = 0; i < lse.size(); ++i) {
      const float a = lse[i], b = emuOut.lse[i];
      if (std::isinf(b) && a == b)
        continue;
      r.lseMaxAbs = std::max(r.lseMaxAbs, std::isfinite(a) ? double(std::fabs(a - b)) : INFINITY);
    }
    if (!(r.lseMaxAbs <= bounds.maxLseAbs))
      failures.push_back(
          fmt::format("LSE max abs error {:.3g} > {:.3g}", r.lseMaxAbs, bounds.maxLseAbs));
  }
  r.text += fmt::format("  kernel vs emulation: {}\n", r.kernelVsEmulation.str());
  r.text += fmt::format("  kernel vs exact:     {}\n", r.kernelVsExact.str());
  r.text += fmt::format("  emulation vs exact:  {}\n", r.emulationVsExact.str());
  r.text += fmt::format("  bounds: vs emulation {}; vs exact {}\n", bounds.vsEmulation.str(),
                        bounds.vsExact.str());
  r.pass = true;
  for (const std::string &f : failures)
    if (!f.empty()) {
      r.text += "  FAILED: " + f + "\n";
      r.pass = false;
    }
  return r;
}

} // namespace attngen
