//===- Emulate.cpp - CPU emulation of a variant's kernel arithmetic -------===//
#include "attngen/reference/Emulate.h"

#include "Parallel.h"
#include "attngen/kernel/exp2_poly.h"
#include "attngen/kernel/tile_size.h"
#include "attngen/mask/score_mod.h"
#include "attngen/quant/quant_math.h"
#include "attngen/reference/Exact.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace attngen::ref {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

int dtCode(DType t) {
  switch (t) {
  case DType::I4:
    return dt::I4;
  case DType::I8:
    return dt::I8;
  case DType::E4M3:
    return dt::E4M3;
  case DType::F16:
    return dt::F16;
  case DType::BF16:
    return dt::BF16;
  case DType::F32:
    return dt::F32;
  }
  return dt::F32;
}

int granCode(Granularity g) {
  switch (g) {
  case Granularity::Tensor:
    return gran::Tensor;
  case Granularity::Block:
    return gran::Block;
  case Granularity::Warp:
    return gran::Warp;
  case Granularity::Thread:
    return gran::Thread;
  case Granularity::Token:
    return gran::Token;
  case Granularity::Channel:
    return gran::Channel;
  }
  return gran::Token;
}

bool isHalf(DType t) { return t == DType::F16 || t == DType::BF16; }
bool isQuant(DType t) { return t == DType::I4 || t == DType::I8 || t == DType::E4M3; }

float roundHalf(float x, DType t) {
  const int c = dtCode(t);
  return halfBitsToFloat(floatToHalfBits(x, c), c);
}

/// Quantizes one element with multiplier `inv` and returns its value.
float quantizeValue(float x, float inv, DType t) {
  if (t == DType::E4M3)
    return decodeE4m3(quantizeE4m3(x, inv));
  return float(quantizeInt(x, inv, quantMax(dtCode(t))));
}

std::string checkVariant(const Variant &v, const Tiles &t, int kvChunk, const AttnShape &s) {
  if (std::string e = validate(s); !e.empty())
    return e;
  if (s.headDim != v.head_dim)
    return fmt::format("shape head dim {} != variant head_dim {}", s.headDim, v.head_dim);
  if (s.gqa() != v.gqa)
    return fmt::format("shape gqa {} (Hq={}, Hkv={}) != variant gqa {}", s.gqa(), s.headsQ,
                       s.headsKv, v.gqa);
  // The prologues give each row D/8 threads, a power of two up to 32 whose
  // lane trees (kmeanDot, quant_math.h) need exactly that.
  if (s.headDim % 8 || s.headDim > 256 || (s.headDim / 8 & (s.headDim / 8 - 1)))
    return fmt::format("head dim {}: the prologues need D / 8 to be a power of two <= 32",
                       s.headDim);
  if (t.blockM < 16 || t.blockM % 16 || t.blockN < 32 || t.blockN % 32)
    return fmt::format("tiles blockM={} blockN={}: blockM must be a multiple of 16 and "
                       "blockN of 32",
                       t.blockM, t.blockN);
  if (kvChunk < 1)
    return fmt::format("kvChunk {} must be >= 1", kvChunk);
  if (v.smooth_q)
    return "smooth_q is not supported by the kernel templates yet";
  if (!isQuant(v.qk) && !isHalf(v.qk))
    return fmt::format("qk type {} is not emulated", toString(v.qk));
  if (v.pv == DType::I4 || (!isQuant(v.pv) && !isHalf(v.pv)))
    return fmt::format("pv type {} is not supported", toString(v.pv));
  if (isQuant(v.qk) && (v.q_granularity == Granularity::Tensor ||
                        v.q_granularity == Granularity::Channel))
    return fmt::format("q granularity {} is not offered", toString(v.q_granularity));
  if (isQuant(v.qk) && v.k_granularity == Granularity::Channel)
    return "k granularity channel is not offered";
  if (isQuant(v.pv) && v.v_granularity != Granularity::Channel)
    return fmt::format("v granularity {} with 8-bit PV: only channel is implemented",
                       toString(v.v_granularity));
  if (!isHalf(v.input))
    return fmt::format("input type {} must be fp16 or bf16", toString(v.input));
  return {};
}

/// Everything the emulation shares between its stages.
struct Problem {
  const Variant &var;
  Tiles tiles;
  int kvChunk;
  AttnShape s;
  int nqPad, nkPad, chunks;
  float smScale, smScaleLog2;
  int threads;
  int exp2JitterUlps;
  bool quantizedRowSum;
  int polyExpColumns;
  std::vector<float> q, k, v; // inputs rounded to the input type
  std::vector<float> alibiSlopes; // [Hq] with bias = alibi, else empty
  int biasRank;                   // R of bias = lowrank, else 0
  std::vector<float> biasQ, biasK; // its factors rounded to the input type
  std::vector<float> biasDense;    // bias = dense: the table, rounded; else empty
};

/// KVStats: per chunk per channel the sum in the kernels' lane order over the
/// chunk's statistics tokens t % stride == 0 (the i-th goes to lane i % 32,
/// then treeSum32), max and min.
void kvStats(const Problem &p, const std::vector<float> &x, int stride,
             std::vector<float> &partial) {
  const int D = p.s.headDim, Nk = p.s.seqK, H = p.s.headsKv;
  partial.assign(size_t(p.s.batch) * H * p.chunks * 3 * D, 0.f);
  parallelFor(size_t(p.s.batch) * H * p.chunks, p.threads, [&](size_t item) {
    const int c = int(item % p.chunks);
    const size_t bh = item / p.chunks;
    const float *X = &x[bh * Nk * D];
    float *out = &partial[item * 3 * D];
    const int t0 = c * p.kvChunk, t1 = std::min(Nk, t0 + p.kvChunk);
    const int first = statsFirst(t0, stride);
    for (int d = 0; d < D; ++d) {
      float lanes[32] = {};
      float mx = kNegInf, mn = -kNegInf;
      for (int t = first; t < t1; t += stride) {
        const float e = X[size_t(t) * D + d];
        const int lane = (t - first) / stride % 32;
        lanes[lane] = quantAdd(lanes[lane], e);
        mx = quantMax2(mx, e);
        mn = quantMin2(mn, e);
      }
      out[d] = treeSum32(lanes);
      out[D + d] = mx;
      out[2 * D + d] = mn;
    }
  });
}

/// Per (b, h, channel): mean (sum of chunk sums in chunk order / the count of
/// statistics tokens) when `smooth`, else 0; and the extrema over all chunks.
void reducePartials(const Problem &p, const std::vector<float> &partial, int stride,
                    bool smooth, std::vector<float> &mean, std::vector<float> &mx,
                    std::vector<float> &mn) {
  const int D = p.s.headDim;
  const size_t heads = size_t(p.s.batch) * p.s.headsKv;
  mean.assign(heads * D, 0.f);
  mx.assign(heads * D, kNegInf);
  mn.assign(heads * D, -kNegInf);
  for (size_t bh = 0; bh < heads; ++bh)
    for (int d = 0; d < D; ++d) {
      float sum = 0.f;
      for (int c = 0; c < p.chunks; ++c) {
        const float *part = &partial[(bh * p.chunks + c) * 3 * D];
        sum = quantAdd(sum, part[d]);
        mx[bh * D + d] = quantMax2(mx[bh * D + d], part[D + d]);
        mn[bh * D + d] = quantMin2(mn[bh * D + d], part[2 * D + d]);
      }
      if (smooth)
        mean[bh * D + d] = quantDiv(sum, float(statsCount(p.s.seqK, stride)));
    }
}

/// Quantizes the rows [0, n) of each (b, h) slice of `x` ([B, H, n, D]) into
/// `out` ([B, H, nPad, D], padded rows zero) with one scale per group of rows
/// (groupOf(row); a tensor-granularity operand is one group). `scaleMul`
/// multiplies every stored scale, as the prologues' quantizeTile does.
template <class GroupOf>
void quantizeRows(const Problem &p, const std::vector<float> &x, int heads, int n,
                  DType type, GroupOf groupOf, float scaleMul, QuantizedTensor &out,
                  int nPad) {
  const int D = p.s.headDim;
  out.type = type;
  out.heads = heads;
  out.seqPad = nPad;
  out.dim = D;
  out.values.assign(size_t(p.s.batch) * heads * nPad * D, 0.f);
  out.scale.assign(size_t(p.s.batch) * heads * nPad, 0.f);
  parallelFor(size_t(p.s.batch) * heads, p.threads, [&](size_t bh) {
    const float *X = &x[bh * n * D];
    float *V = &out.values[bh * nPad * D];
    float *S = &out.scale[bh * nPad];
    if (isHalf(type)) {
      for (size_t i = 0; i < size_t(n) * D; ++i)
        V[i] = roundHalf(X[i], type);
      std::fill(S, S + nPad, scaleMul);
      return;
    }
    const float qmax = quantMax(dtCode(type));
    std::vector<float> amax(size_t(groupOf(nPad - 1)) + 1, 0.f);
    for (int r = 0; r < n; ++r)
      for (int d = 0; d < D; ++d)
        amax[size_t(groupOf(r))] =
            quantMax2(amax[size_t(groupOf(r))], quantAbs(X[size_t(r) * D + d]));
    for (int r = 0; r < nPad; ++r) {
      const float a = amax[size_t(groupOf(r))];
      S[r] = quantMul(quantScale(a, qmax), scaleMul);
      if (r >= n)
        continue;
      const float inv = quantInvScale(a, qmax);
      for (int d = 0; d < D; ++d)
        V[size_t(r) * D + d] = quantizeValue(X[size_t(r) * D + d], inv, type);
    }
  });
}

int roundUp(int x, int m) { return (x + m - 1) / m * m; }

/// exp2 as the emulation computes it: std::exp2, or, to model the GPU's
/// ex2.approx, moved by a hash of x to within +-jitterUlps ulp (deterministic,
/// so results do not depend on threads).
float ex2(float x, int jitterUlps) {
  const float y = std::exp2(x);
  if (jitterUlps <= 0 || x == 0.f || !(y > 0.f) || y == std::numeric_limits<float>::infinity())
    return y;
  uint64_t h = uint64_t(floatBits(x)) * 0x9e3779b97f4a7c15ull;
  h ^= h >> 29;
  const int delta = int(h % uint64_t(2 * jitterUlps + 1)) - jitterUlps;
  const unsigned bits = floatBits(y);
  // Stay a positive normal float (y >= 2^-126 has room below for a few ulp).
  return bits > unsigned(jitterUlps) + 0x00800000u ? bitsFloat(unsigned(int(bits) + delta)) : y;
}

/// The attention mainloop and epilogue for one block of blockM query rows.
void attendBlock(const Problem &p, const Emulation &e, int b, int h, int rowBlock,
                 AttnOutput &out) {
  const Variant &var = p.var;
  const int D = p.s.headDim, Nq = p.s.seqQ, Nk = p.s.seqK, BN = p.tiles.blockN;
  const int hk = h / p.s.gqa();
  const size_t qSlice = size_t(b) * p.s.headsQ + h, kSlice = size_t(b) * p.s.headsKv + hk;
  const float *Qv = &e.q.values[qSlice * p.nqPad * D];
  const float *Qs = &e.q.scale[qSlice * p.nqPad];
  const float *Kv = &e.k.values[kSlice * p.nkPad * D];
  const float *Ks = &e.k.scale[kSlice * p.nkPad];
  const float *Vv = &e.v.values[kSlice * p.nkPad * D];
  const bool fp8Pv = var.pv == DType::E4M3, int8Pv = var.pv == DType::I8;
  const bool intQk = var.qk == DType::I8 || var.qk == DType::I4;
  const int jit = p.exp2JitterUlps;
  // P of key column jj of a block as the kernel forms it: exp2 on MUFU (ex2),
  // or for the first polyExpColumns the FMA-pipe polynomial; fp8P is 448 p
  // (log2(448) is inside the kernel's exponent argument).
  const auto poly = [&](int jj) { return jj < p.polyExpColumns; };
  const auto fp8P = [&](int jj, float x) {
    return poly(jj) ? exp2Poly(x + kLog2Fp8Max) : kFp8Max * ex2(x, jit);
  };
  const float *vScale = isQuant(var.pv) ? &e.v.scale[kSlice * D] : nullptr;
  const float *vMean = &e.vMean[kSlice * D];

  // Integer copies make the exact integer dot products cheap (vectorizable).
  std::vector<int8_t> kInt, qInt(static_cast<size_t>(D));
  std::vector<int16_t> vInt;
  if (intQk) {
    kInt.resize(size_t(p.nkPad) * D);
    for (size_t i = 0; i < kInt.size(); ++i)
      kInt[i] = int8_t(Kv[i]);
  }
  if (int8Pv) {
    vInt.resize(size_t(p.nkPad) * D);
    for (size_t i = 0; i < vInt.size(); ++i)
      vInt[i] = int16_t(Vv[i]);
  }
  std::vector<float> s(static_cast<size_t>(BN)), o(static_cast<size_t>(D));
  std::vector<double> accF(static_cast<size_t>(D));
  std::vector<int32_t> accI(static_cast<size_t>(D));

  const int r0 = rowBlock * p.tiles.blockM;
  for (int i = r0; i < std::min(Nq, r0 + p.tiles.blockM); ++i) {
    const float *qr = Qv + size_t(i) * D;
    if (intQk)
      for (int d = 0; d < D; ++d)
        qInt[size_t(d)] = int8_t(qr[d]);
    // Keys [first, visible) are visible (causal / window, bottom-right);
    // the kernel visits the blocks that hold them, masking the rest.
    const int diag = Nk - Nq;
    const int right = var.mask == MaskKind::Causal ? 0 : var.window_right;
    const int visible = right >= 0 ? std::min(Nk, std::max(0, i + diag + right + 1)) : Nk;
    const int first = var.window_left >= 0 ? std::min(Nk, std::max(0, i + diag - var.window_left)) : 0;
    // Score modifiers, in the kernel's float arithmetic (mask/score_mod.h).
    const float capOffset =
        var.softcap > 0 && var.smooth_k ? e.qKmean[qSlice * p.nqPad + size_t(i)] * kLog2e : 0.f;
    const float slopeL2 = p.alibiSlopes.empty() ? 0.f : p.alibiSlopes[size_t(h)] * kLog2e;
    // Causal ALiBi drops each row's constant (ScoreMods::kAlibiColumns): the
    // scores get slopeL2 * (j - c0), c0 = the tile's first row + diag, and the
    // LSE the row term.
    const bool alibiColumns = !p.alibiSlopes.empty() && right == 0 && var.softcap <= 0;
    const int c0 = r0 + diag;
    const float *qb =
        p.biasRank > 0 ? &p.biasQ[(qSlice * Nq + size_t(i)) * size_t(p.biasRank)] : nullptr;
    float m = kNegInf, l = 0.f;
    std::fill(o.begin(), o.end(), 0.f);
    for (int j0 = first / BN * BN; j0 < visible; j0 += BN) {
      // s_j = float(acc) * (q_scale * k_scale), masked keys at -inf.
      float mb = kNegInf;
      for (int jj = 0; jj < BN; ++jj) {
        const int j = j0 + jj;
        if (j >= visible || j < first) {
          s[size_t(jj)] = kNegInf;
          continue;
        }
        float acc;
        if (intQk) {
          const int8_t *kr = &kInt[size_t(j) * D];
          int32_t a = 0;
          for (int d = 0; d < D; ++d)
            a += int32_t(qInt[size_t(d)]) * int32_t(kr[d]);
          acc = float(a);
        } else {
          // FP8 / 16-bit products are exact in double; the tensor core's
          // accumulation order is not reproduced (Tolerance.h).
          const float *kr = Kv + size_t(j) * D;
          double a = 0;
          for (int d = 0; d < D; ++d)
            a += double(qr[d]) * double(kr[d]);
          acc = float(a);
        }
        if (alibiColumns) { // causal ALiBi as a column term (mask/score_mod.h)
          const float sj = std::fma(acc, Qs[i] * Ks[j], slopeL2 * float(j - c0));
          s[size_t(jj)] = sj;
          mb = std::max(mb, sj);
          continue;
        }
        float sj = acc * (Qs[i] * Ks[j]);
        if (var.softcap > 0) {
          // tanhf here and on the GPU differ by an ulp or two (Tolerance.h).
          const SoftcapL2 cap = softcapL2(float(var.softcap));
          sj = cap.cap * std::tanh((sj + capOffset) * cap.invCap);
        }
        if (!p.alibiSlopes.empty())
          sj = std::fma(-slopeL2, alibiDistance(i, j, diag), sj);
        if (p.biasRank > 0) {
          // The bias mma accumulates into the score in natural-log units,
          // 16 ranks at a time: exact 16-bit products, fp32 sums (in the
          // tensor core's order, not reproduced; Tolerance.h), then log2(e).
          const float *kb = &p.biasK[(qSlice * Nk + size_t(j)) * size_t(p.biasRank)];
          float t = sj * kLn2;
          for (int r0 = 0; r0 < p.biasRank; r0 += 16) {
            double d = t;
            for (int r = r0; r < std::min(p.biasRank, r0 + 16); ++r)
              d += double(qb[r]) * double(kb[r]);
            t = float(d);
          }
          sj = t * kLog2e;
        }
        if (!p.biasDense.empty())
          sj = std::fma(p.biasDense[(qSlice * Nq + size_t(i)) * Nk + size_t(j)], kLog2e, sj);
        s[size_t(jj)] = sj;
        mb = std::max(mb, sj);
      }
      const float mNew = std::max(m, mb);
      if (mNew == kNegInf)
        continue; // nothing visible yet: the row's state stays empty
      const float alpha = ex2(m - mNew, jit);
      float rowSum = 0.f;
      if (fp8Pv && p.quantizedRowSum) {
        // sum_j e4m3(448 p_j) on the tensor cores (exact integers times 2^-k
        // here in double; the tensor core's order is not reproduced), / 448.
        double q = 0;
        for (int jj = 0; jj < BN; ++jj)
          q += double(decodeE4m3(encodeE4m3(fp8P(jj, s[size_t(jj)] - mNew))));
        rowSum = float(q / kFp8Max);
      } else {
        for (int jj = 0; jj < BN; ++jj) {
          const float sj = s[size_t(jj)];
          if (!poly(jj))
            rowSum += ex2(sj - mNew, jit); // masked: exp2(-inf) = 0
          else if (sj != kNegInf) // INT8 P: relative to the block's max, then scaled
            rowSum += int8Pv ? exp2Poly(sj - mb) * ex2(mb - mNew, jit)
                             : fp8P(jj, sj - mNew) / kFp8Max;
        }
      }
      l = l * alpha + rowSum;
      if (int8Pv) {
        // P8 = rint(127 exp2(s - m_b)) against the block's own max.
        std::fill(accI.begin(), accI.end(), 0);
        for (int jj = 0; jj < BN; ++jj) {
          if (s[size_t(jj)] == kNegInf)
            continue;
          const float x = s[size_t(jj)] - mb;
          const int32_t p8 = int32_t(roundEven(kInt8Max * (poly(jj) ? exp2Poly(x) : ex2(x, jit))));
          const int16_t *vr = &vInt[size_t(j0 + jj) * D];
          for (int d = 0; d < D; ++d)
            accI[size_t(d)] += p8 * int32_t(vr[d]);
        }
        const float blockScale = ex2(mb - mNew, jit);
        for (int d = 0; d < D; ++d)
          o[size_t(d)] = o[size_t(d)] * alpha + float(accI[size_t(d)]) * blockScale / kInt8Max;
      } else {
        // FP8: e4m3(448 p) into a fresh per-block accumulator (two-level
        // accumulation); 16-bit: p rounded to the PV type.
        std::fill(accF.begin(), accF.end(), 0.0);
        for (int jj = 0; jj < BN; ++jj) {
          if (s[size_t(jj)] == kNegInf)
            continue;
          const float x = s[size_t(jj)] - mNew;
          const double pq = fp8Pv ? double(decodeE4m3(encodeE4m3(fp8P(jj, x))))
                                  : double(roundHalf(ex2(x, jit), var.pv));
          if (pq == 0)
            continue;
          const float *vr = Vv + size_t(j0 + jj) * D;
          for (int d = 0; d < D; ++d)
            accF[size_t(d)] += pq * double(vr[d]);
        }
        for (int d = 0; d < D; ++d)
          o[size_t(d)] = o[size_t(d)] * alpha + float(accF[size_t(d)]);
      }
      m = mNew;
    }
    const size_t oOff = AttnShape::rowOffset(b, h, i, p.s.headsQ, Nq, D);
    const size_t lseIdx = qSlice * Nq + size_t(i);
    if (l == 0.f) { // fully masked row: O = 0, LSE = -inf
      std::fill(&out.o[oOff], &out.o[oOff] + D, 0.f);
      out.lse[lseIdx] = kNegInf;
      continue;
    }
    for (int d = 0; d < D; ++d) {
      float x = o[size_t(d)] / l;
      if (vScale)
        x = x * vScale[d];
      if (fp8Pv)
        x = x / kFp8Max;
      if (var.smooth_v)
        x = x + vMean[d];
      out.o[oOff + size_t(d)] = var.output == DType::F32 ? x : roundHalf(x, var.output);
    }
    // A capped score already holds q . mean(K): no LSE correction then.
    out.lse[lseIdx] = (m + std::log2(l)) * kLn2 +
                      (var.softcap > 0 ? 0.f : e.qKmean[qSlice * p.nqPad + size_t(i)]);
    if (alibiColumns)
      out.lse[lseIdx] += alibiRowTerm(slopeL2, i, p.tiles.blockM);
  }
}

} // namespace

void roundTo(std::vector<float> &x, DType type) {
  if (!isHalf(type))
    return;
  for (float &e : x)
    e = roundHalf(e, type);
}

std::optional<Emulation> emulate(const Variant &var, const Tiles &tiles, int kvChunk,
                                 const AttnInputs &in, std::string &error,
                                 const EmulationOptions &opts) {
  const AttnShape &s = in.shape;
  std::string err = checkVariant(var, tiles, kvChunk, s);
  if (err.empty() && opts.polyExpColumns != 0 &&
      (!isQuant(var.pv) || opts.polyExpColumns < 0 || opts.polyExpColumns > tiles.blockN))
    err = fmt::format("exp2 polynomial columns {}: only with 8-bit P, 0..blockN ({})",
                      opts.polyExpColumns, tiles.blockN);
  if (err.empty() && (in.q.size() != s.qElems() || in.k.size() != s.kvElems() ||
                      in.v.size() != s.kvElems()))
    err = fmt::format("tensor sizes q={} k={} v={} do not match the shape (q={} kv={})",
                      in.q.size(), in.k.size(), in.v.size(), s.qElems(), s.kvElems());
  if (!err.empty()) {
    error = fmt::format("emulate({}): {}", var.name, err);
    return std::nullopt;
  }
  const float smScale = float(var.effectiveScale());
  Problem p{var,
            tiles,
            kvChunk,
            s,
            roundUp(s.seqQ, tiles.blockM),
            roundUp(s.seqK, tiles.blockN),
            (s.seqK + kvChunk - 1) / kvChunk,
            smScale,
            // As the launcher fills AttnParams (runtime/lib/Launch.cpp): the
            // product in double, rounded once, so q_scale matches bit for bit.
            float(var.effectiveScale() * M_LOG2E),
            opts.threads,
            opts.exp2JitterUlps,
            opts.quantizedRowSum,
            opts.polyExpColumns,
            in.q,
            in.k,
            in.v,
            {},
            0,
            {},
            {},
            {}};
  if (var.bias != BiasKind::LowRank && in.biasRank != 0) {
    error = fmt::format("emulate({}): the inputs carry low-rank bias factors (rank {}) but "
                        "the variant has no low-rank bias",
                        var.name, in.biasRank);
    return std::nullopt;
  }
  if ((var.bias == BiasKind::Dense) != !in.biasDense.empty()) {
    error = fmt::format("emulate({}): {}", var.name,
                        var.bias == BiasKind::Dense
                            ? "the variant has a dense bias but the inputs carry no table"
                            : "the inputs carry a dense bias table but the variant has none");
    return std::nullopt;
  }
  if (std::string e = validateBiasFactors(in); !e.empty()) {
    error = fmt::format("emulate({}): {}", var.name, e);
    return std::nullopt;
  }
  p.biasDense = in.biasDense;
  roundTo(p.biasDense, var.input);
  if (var.bias == BiasKind::LowRank) {
    if (in.biasRank != var.bias_rank) {
      error = fmt::format("emulate({}): the variant has bias = lowrank({}) but the inputs' "
                          "factors have rank {}",
                          var.name, var.bias_rank, in.biasRank);
      return std::nullopt;
    }
    // (The factors' sizes were validated above with the table's.)
    p.biasRank = in.biasRank;
    p.biasQ = in.biasQ;
    p.biasK = in.biasK;
    roundTo(p.biasQ, var.input);
    roundTo(p.biasK, var.input);
  }
  if (var.bias == BiasKind::Alibi) {
    p.alibiSlopes = in.alibiSlopes.empty() ? standardAlibiSlopes(s.headsQ) : in.alibiSlopes;
    if (p.alibiSlopes.size() != size_t(s.headsQ)) {
      error = fmt::format("emulate({}): {} ALiBi slopes for {} query heads", var.name,
                          p.alibiSlopes.size(), s.headsQ);
      return std::nullopt;
    }
  }
  roundTo(p.q, var.input);
  roundTo(p.k, var.input);
  roundTo(p.v, var.input);
  const int D = s.headDim, B = s.batch;

  Emulation e;
  e.seqQPad = p.nqPad;
  e.seqKPad = p.nkPad;
  e.kvChunks = p.chunks;

  // KVStats and the per-head reductions QuantKV starts with.
  // K's statistics (and Q's amax, kStatsStrideQ) come from the sample
  // t % kStatsSampleStride == 0, except K's for a per-tensor K scale
  // (quant_math.h statsStrideK); V's from every token (its channel scales
  // must see every value).
  const bool kTensorScale = var.k_granularity == Granularity::Tensor; // as Cfg::kKGran
  const int kStride = statsStrideK(kTensorScale);
  std::vector<float> kMax, kMin, vMax, vMin;
  kvStats(p, p.k, kStride, e.kPartial);
  kvStats(p, p.v, 1, e.vPartial);
  reducePartials(p, e.kPartial, kStride, var.smooth_k, e.kMean, kMax, kMin);
  reducePartials(p, e.vPartial, 1, var.smooth_v, e.vMean, vMax, vMin);

  // Balancing: KVStats's per-chunk channel max |q| over the kv head's query
  // heads (tokens t % kStatsStrideQ == 0), then a_c = balanceFactor(amax K'_c,
  // amax Q_c) as QuantKV forms it (both amaxes of the sample).
  const bool balance = var.balance && isQuant(var.qk);
  std::vector<float> kBalInv(size_t(B) * s.headsKv * D, 1.f);
  if (balance) {
    e.qChunks = (s.seqQ + kvChunk - 1) / kvChunk;
    e.qPartial.assign(size_t(B) * s.headsKv * e.qChunks * D, 0.f);
    e.qkBalance.assign(size_t(B) * s.headsKv * D, 1.f);
    for (size_t bkv = 0; bkv < size_t(B) * s.headsKv; ++bkv) {
      const size_t b = bkv / s.headsKv, hkv = bkv % s.headsKv;
      for (int g = 0; g < s.gqa(); ++g) {
        const size_t hq = b * s.headsQ + hkv * s.gqa() + size_t(g);
        for (int t = 0; t < s.seqQ; t += kStatsStrideQ)
          for (int d = 0; d < D; ++d) {
            float &m = e.qPartial[(bkv * e.qChunks + size_t(t / kvChunk)) * D + size_t(d)];
            m = quantMax2(m, quantAbs(p.q[(hq * s.seqQ + size_t(t)) * D + size_t(d)]));
          }
      }
      for (int d = 0; d < D; ++d) {
        float qAmax = 0.f;
        for (int c = 0; c < e.qChunks; ++c)
          qAmax = quantMax2(qAmax, e.qPartial[(bkv * e.qChunks + size_t(c)) * D + size_t(d)]);
        const size_t i = bkv * D + size_t(d);
        const float a = balanceFactor(smoothedAmax(kMax[i], kMin[i], e.kMean[i]), qAmax);
        e.qkBalance[i] = a;
        kBalInv[i] = quantDiv(1.f, a);
      }
    }
  }

  // K' = K - mean (smooth_k), divided by a_c when balancing, quantized per
  // its granularity.
  std::vector<float> kSmooth = p.k;
  for (size_t bh = 0; bh < size_t(B) * s.headsKv; ++bh)
    for (size_t t = 0; t < size_t(s.seqK); ++t)
      for (int d = 0; d < D; ++d) {
        float &x = kSmooth[(bh * s.seqK + t) * D + size_t(d)];
        x = quantSub(x, e.kMean[bh * D + size_t(d)]);
        if (balance)
          x = quantMul(x, kBalInv[bh * D + size_t(d)]);
      }
  const int kg = granCode(var.k_granularity), BN = tiles.blockN, BM = tiles.blockM;
  quantizeRows(
      p, kSmooth, s.headsKv, s.seqK, var.qk,
      [&](int t) { return kGroupOf(kg, t, BN); }, 1.f, e.k, p.nkPad);
  if (var.k_granularity == Granularity::Tensor && isQuant(var.qk)) {
    // QuantKV takes a tensor's amax from the KVStats extrema: the same
    // number as the max over the elements (the subtraction is monotone).
    const float qmax = quantMax(dtCode(var.qk));
    for (size_t bh = 0; bh < size_t(B) * s.headsKv; ++bh) {
      float a = 0.f;
      for (int d = 0; d < D; ++d)
        a = quantMax2(a, quantMul(smoothedAmax(kMax[bh * D + size_t(d)],
                                               kMin[bh * D + size_t(d)],
                                               e.kMean[bh * D + size_t(d)]),
                                  kBalInv[bh * D + size_t(d)]));
      const float scale = quantScale(a, qmax);
      if (scale != e.k.scale[bh * p.nkPad]) {
        error = fmt::format("emulate({}): tensor amax from extrema disagrees with the "
                            "elements (internal error)",
                            var.name);
        return std::nullopt;
      }
    }
  }

  // V: channel scales over all tokens (8-bit PV) or a 16-bit copy; V' = V -
  // mean with smooth_v.
  e.v.type = var.pv;
  e.v.heads = s.headsKv;
  e.v.seqPad = p.nkPad;
  e.v.dim = D;
  e.v.values.assign(size_t(B) * s.headsKv * p.nkPad * D, 0.f);
  if (isQuant(var.pv))
    e.v.scale.assign(size_t(B) * s.headsKv * D, 0.f);
  parallelFor(size_t(B) * s.headsKv, p.threads, [&](size_t bh) {
    const float qmax = quantMax(dtCode(var.pv));
    for (int d = 0; d < D; ++d) {
      const float mean = e.vMean[bh * D + size_t(d)];
      float inv = 0.f;
      if (isQuant(var.pv)) {
        const float a = smoothedAmax(vMax[bh * D + size_t(d)], vMin[bh * D + size_t(d)], mean);
        e.v.scale[bh * D + size_t(d)] = quantScale(a, qmax);
        inv = quantInvScale(a, qmax);
      }
      for (size_t t = 0; t < size_t(s.seqK); ++t) {
        const float x = quantSub(p.v[(bh * s.seqK + t) * D + size_t(d)], mean);
        e.v.values[(bh * p.nkPad + t) * D + size_t(d)] =
            isQuant(var.pv) ? quantizeValue(x, inv, var.pv) : roundHalf(x, var.pv);
      }
    }
  });

  // Q: per-group scales times s*log2(e); q_kmean = s * q . mean(K).
  // Balancing multiplies Q by a_c; q_kmean below keeps the original q.
  std::vector<float> qBalanced;
  if (balance) {
    qBalanced = p.q;
    for (size_t bh = 0; bh < size_t(B) * s.headsQ; ++bh) {
      const size_t kvh = bh / s.headsQ * s.headsKv + bh % s.headsQ / s.gqa();
      for (size_t i = 0; i < size_t(s.seqQ); ++i)
        for (int d = 0; d < D; ++d) {
          float &x = qBalanced[(bh * s.seqQ + i) * D + size_t(d)];
          x = quantMul(x, e.qkBalance[kvh * D + size_t(d)]);
        }
    }
  }
  const int qg = granCode(var.q_granularity);
  quantizeRows(
      p, balance ? qBalanced : p.q, s.headsQ, s.seqQ, var.qk,
      [&](int r) { return qGroupOf(qg, r, BM); }, p.smScaleLog2, e.q, p.nqPad);
  e.qKmean.assign(size_t(B) * s.headsQ * p.nqPad, 0.f);
  if (var.smooth_k) {
    std::vector<float> slices(size_t(std::max(1, D / 8)));
    for (size_t bh = 0; bh < size_t(B) * s.headsQ; ++bh) {
      const size_t kvh = bh / s.headsQ * s.headsKv + bh % s.headsQ / s.gqa();
      for (size_t i = 0; i < size_t(s.seqQ); ++i)
        e.qKmean[bh * p.nqPad + i] =
            quantMul(kmeanDot(&p.q[(bh * s.seqQ + i) * D], &e.kMean[kvh * D], D,
                              slices.data()),
                     smScale);
    }
  }

  // The attention kernel: one work item per CTA of the grid.
  e.out.o.assign(s.qElems(), 0.f);
  e.out.lse.assign(s.lseElems(), 0.f);
  const int rowBlocks = p.nqPad / BM;
  parallelFor(size_t(B) * s.headsQ * rowBlocks, p.threads, [&](size_t item) {
    const int rb = int(item % rowBlocks);
    const int h = int(item / rowBlocks % s.headsQ);
    const int b = int(item / rowBlocks / s.headsQ);
    attendBlock(p, e, b, h, rb, e.out);
  });
  return e;
}

std::optional<Emulation> emulate(const KernelPlan &plan, const AttnInputs &in,
                                 std::string &error, const EmulationOptions &opts) {
  EmulationOptions o = opts;
  // The wgmma mainloop's rule (its kRowSumMma).
  const bool wgmma = plan.mainloop == Mainloop::Wgmma, softcap = plan.variant.softcap > 0;
  const int pv = dtCode(plan.variant.pv);
  o.quantizedRowSum = wgmma && sm90RowSumMma(pv, softcap);
  // The wgmma mainloop's exp2 polynomial columns (its kPolyGroups).
  o.polyExpColumns = wgmma ? 8 * sm90PolyExpGroups(pv, softcap) : 0;
  return emulate(plan.variant, plan.tiles, plan.kvChunk, in, error, o);
}

} // namespace attngen::ref
