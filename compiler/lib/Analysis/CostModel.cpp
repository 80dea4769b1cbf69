//===- CostModel.cpp - FLOPs, bytes, exponentials and their floors --------===//

#include "attngen/Analysis/CostModel.h"

#include <fmt/format.h>

#include <algorithm>

namespace attngen {

namespace {
double bytesOf(DType t) { return bitWidth(t) / 8.0; }

double roundUp(double x, double m) { return ((long long)((x + m - 1) / m)) * m; }
} // namespace

CostReport analyzeCost(const KernelPlan &plan, const ProblemShape &s, const DeviceCeilings &dev) {
  const Variant &v = plan.variant;
  const double D = v.head_dim;
  const bool causal = v.mask == MaskKind::Causal;
  // Fraction of the score matrix that is visible (bottom-right aligned mask).
  double visible = 1.0;
  if (causal) {
    double nq = s.seqQ, nk = s.seqK, off = nk - nq, seen = 0;
    // Row i sees min(nk, max(0, i + off + 1)) keys: sum in closed form.
    double first = std::max(0.0, -off); // first row that sees any key
    double lastFull = std::min(nq, std::max(0.0, nk - off - 1)); // rows before seeing all
    if (lastFull > first)
      seen += (lastFull - first) * (first + off + 1 + lastFull + off) / 2;
    seen += std::max(0.0, nq - std::max(lastFull, first)) * nk;
    visible = seen / (nq * nk);
  }
  if (v.hasWindow() && s.seqQ > 0 && s.seqK > 0) {
    // A sliding window: row i sees keys [i + off - left, i + off + right] of [0, nk).
    const long long nk = s.seqK, off = nk - s.seqQ;
    const long long right = causal ? 0 : v.window_right;
    double seen = 0;
    for (long long i = 0; i < s.seqQ; ++i) {
      const long long lo = v.window_left >= 0 ? std::max(0LL, i + off - v.window_left) : 0;
      const long long hi = right >= 0 ? std::min(nk - 1, i + off + right) : nk - 1;
      seen += double(std::max(0LL, hi - lo + 1));
    }
    visible = seen / (double(s.seqQ) * double(nk));
  }
  const double heads = (double)s.batch * s.headsQ;
  const double kvHeads = (double)s.batch * s.headsKV;
  CostReport r;
  r.flops = 4.0 * heads * s.seqQ * s.seqK * D * visible;
  r.exps = heads * s.seqQ * s.seqK * visible;

  const double in = bytesOf(v.input), out = bytesOf(v.output);
  const double qIn = heads * s.seqQ * D * in, kvIn = kvHeads * s.seqK * D * in;
  const double oOut = heads * s.seqQ * D * out + (v.lse ? heads * s.seqQ * 4 : 0);
  r.bytesCompulsory = qIn + 2 * kvIn + oOut;

  const double nqPad = roundUp(s.seqQ, plan.tiles.blockM);
  const double nkPad = roundUp(s.seqK, plan.tiles.blockN);
  const double qQ = heads * nqPad * D * bytesOf(v.qk);
  const double kQ = kvHeads * nkPad * D * bytesOf(v.qk);
  const double vQ = kvHeads * nkPad * D * bytesOf(v.pv);
  // Prologues: KVStats reads K and V once; QuantKV reads them again and writes
  // the quantized images; QuantQ reads Q and writes its image and scales. A
  // plan without QuantQ (wgmma) quantizes Q inside the attention kernel, which
  // then reads Q itself rather than its image.
  const bool stats = plan.find(KernelRole::KVStats) != nullptr;
  const bool quantQ = plan.find(KernelRole::QuantQ) != nullptr;
  r.bytesPrologue = (stats ? 2 * kvIn : 0) + 2 * kvIn + kQ + vQ + kvHeads * nkPad * 4 +
                    (quantQ ? qIn + qQ + heads * nqPad * 4 : 0);
  // Attention: each query tile streams the visible K/V images (mostly from L2
  // when heads are interleaved; counted here as HBM, an upper bound).
  const double qTiles = nqPad / plan.tiles.blockM;
  // Every query head streams its kv head's images: gqa query heads per kv head.
  r.bytesAttention =
      (quantQ ? qQ : qIn) + qTiles * (kQ + vQ) * visible * (heads / kvHeads) + oOut;

  // Saha & Ye: attention needs Theta(N^2 d^2 / M) I/O for on-chip memory M >= d^2.
  const double M = (double)dev.smemPerSm / bytesOf(v.qk);
  r.ioLowerBound = heads * (double)s.seqQ * s.seqK * D * D / M * bytesOf(v.qk) * visible;

  // Half the FLOPs are Q K^T, half P V, each at its operand type's rate
  // (INT4 runs on mma.sync at no more than the 8-bit rate).
  auto rate = [&](DType t) { return (bitWidth(t) <= 8 ? dev.eightBitTflops : dev.f16Tflops) * 1e12; };
  r.tMatmul = r.flops / 2 / rate(v.qk) + r.flops / 2 / rate(v.pv);
  r.tExp = r.exps / (dev.expPerClkPerSm * dev.sms * dev.clockGHz * 1e9);
  r.tHbm = std::max(r.bytesCompulsory, r.ioLowerBound) / (dev.hbmTBps * 1e12);
  r.tFloor = std::max({r.tMatmul, r.tExp, r.tHbm});
  r.bound = r.tFloor == r.tMatmul ? "matmul" : r.tFloor == r.tExp ? "exp" : "memory";
  r.tPrologue = r.bytesPrologue / (dev.hbmTBps * 1e12);
  r.tEndToEnd = r.tPrologue + r.tFloor;
  return r;
}

std::string formatCost(const CostReport &r) {
  std::string o;
  o += fmt::format("  matmul FLOPs        {:.3e}\n", r.flops);
  o += fmt::format("  exponentials        {:.3e}\n", r.exps);
  o += fmt::format("  HBM bytes           compulsory {:.1f} MB, prologue {:.1f} MB, "
                   "attention <= {:.1f} MB\n",
                   r.bytesCompulsory / 1e6, r.bytesPrologue / 1e6, r.bytesAttention / 1e6);
  o += fmt::format("  I/O lower bound     {:.1f} MB (N^2 d^2 / M)\n", r.ioLowerBound / 1e6);
  o += fmt::format("  floors              matmul {:.3f} ms, exp {:.3f} ms, memory {:.3f} ms "
                   "-> {}-bound, {:.3f} ms\n",
                   r.tMatmul * 1e3, r.tExp * 1e3, r.tHbm * 1e3, r.bound, r.tFloor * 1e3);
  o += fmt::format("  end to end floor    prologue passes {:.3f} ms (HBM) + attention {:.3f} ms "
                   "= {:.3f} ms\n",
                   r.tPrologue * 1e3, r.tFloor * 1e3, r.tEndToEnd * 1e3);
  return o;
}

} // namespace attngen
