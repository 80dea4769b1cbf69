//===- sm80_harness.cu - Correctness and speed of the mma.sync mainloop ---===//
//
// A standalone nvcc program (no attngen libraries): it instantiates the
// mma.sync attention (kMainloop = 0) for several variants, fills the workspace
// with a host quantizer that follows the quantization contract (quant_math.h,
// tile_image.h, permute.h), poisons O with NaN, runs the kernel and compares
// it with an FP32 GPU reference on the unquantized inputs; then times the
// kernel alone. Build (sm_90a runs mma.sync too, and fp8 mma.sync needs 89+):
//   nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a \
//        -I templates tools/devharness/sm80_harness.cu -o sm80_harness
// Modes: (none) correctness + timing, --check-only, --small (for
// compute-sanitizer), --sweep (correctness + timing + a tile sweep).
// Exit status: 0 when every correctness case passes.
//
//===----------------------------------------------------------------------===//
#include "attngen/kernel/mainloop_sm80.cuh"
#include "attngen/kernel/tile_size.h"
#include "attngen/quant/permute.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

using namespace attngen;

#include "harness_check.h"

/// A Cfg as the emitter writes it; Tile overrides selectTileSize (for sweeps).
template <int QK, int PV, int Dh, bool Causal, int Gqa, bool SmoothV, int BMo = 0, int BNo = 0,
          int Wo = 0, int STo = 0>
struct HCfg {
  static constexpr TileChoice kTile =
      BMo ? TileChoice{BMo, BNo, Wo, STo} : selectTileSize(0, Dh, QK, PV, Causal);
  static constexpr int kMainloop = 0, kSm = 90, kHeadDim = Dh;
  static constexpr int kBlockM = kTile.blockM, kBlockN = kTile.blockN, kWarps = kTile.warps;
  static constexpr int kStages = kTile.stages, kKvChunk = 1024;
  static constexpr int kQK = QK, kPV = PV, kIn = dt::BF16, kOut = dt::BF16;
  static constexpr int kQGran = gran::Token, kKGran = gran::Token, kVGran = gran::Channel;
  static constexpr bool kSmoothQ = false, kSmoothK = true, kSmoothV = SmoothV;
  static constexpr bool kCausal = Causal, kLse = true;
  static constexpr int kGqa = Gqa;
};

template <class Cfg>
__global__ void __launch_bounds__(Cfg::kWarps * 32, 1)
    sm80Attention(const __grid_constant__ AttnParams p) {
  attention_sm80<Cfg>(p);
}

/// FP32 reference: one thread per (b, h, query row), online softmax over all keys.
template <int Dh>
__global__ void referenceAttention(const float *q, const float *k, const float *v, float *o,
                                   float *lse, int B, int Hq, int Hkv, int Nq, int Nk, float scale,
                                   bool causal) {
  const int row = blockIdx.x * blockDim.x + threadIdx.x, h = blockIdx.y, b = blockIdx.z;
  if (row >= Nq)
    return;
  const int hkv = h / (Hq / Hkv);
  const float *qr = q + ((size_t)(b * Hq + h) * Nq + row) * Dh;
  const float *kh = k + (size_t)(b * Hkv + hkv) * Nk * Dh;
  const float *vh = v + (size_t)(b * Hkv + hkv) * Nk * Dh;
  float acc[Dh];
  for (int c = 0; c < Dh; ++c)
    acc[c] = 0.f;
  float m = -INFINITY, l = 0.f;
  const int last = causal && row + Nk - Nq < Nk - 1 ? row + Nk - Nq : Nk - 1;
  for (int j = 0; j <= last; ++j) {
    float s = 0.f;
    for (int c = 0; c < Dh; ++c)
      s += qr[c] * kh[(size_t)j * Dh + c];
    s *= scale;
    const float mn = fmaxf(m, s);
    const float a = expf(m - mn), pj = expf(s - mn);
    l = l * a + pj;
    for (int c = 0; c < Dh; ++c)
      acc[c] = acc[c] * a + pj * vh[(size_t)j * Dh + c];
    m = mn;
  }
  float *orow = o + ((size_t)(b * Hq + h) * Nq + row) * Dh;
  for (int c = 0; c < Dh; ++c)
    orow[c] = l > 0.f ? acc[c] / l : 0.f;
  lse[(size_t)(b * Hq + h) * Nq + row] = l > 0.f ? m + logf(l) : -INFINITY;
}

struct Shape {
  int B, Hq, Nq, Nk;
};

/// Writes one quantized element of a Q/K row into its tile image.
static void putQk(unsigned char *img, int rows, int rowBytes, int row, int c, int qk, float x,
                  float inv, bool zero) {
  if (qk == dt::I8 || qk == dt::E4M3) {
    const unsigned char v = zero ? 0
                            : qk == dt::I8
                                ? (unsigned char)(signed char)quantizeInt(x, inv, kInt8Max)
                                : quantizeE4m3(x, inv);
    img[tileImageOffset(row, c, rows, rowBytes)] = v;
  } else if (qk == dt::I4) {
    const int v = zero ? 0 : quantizeInt(x, inv, kInt4Max);
    unsigned char &byte = img[tileImageOffset(row, c / 2, rows, rowBytes)];
    byte = (unsigned char)((byte & (c % 2 ? 0x0f : 0xf0)) | ((v & 0xf) << (c % 2 ? 4 : 0)));
  } else {
    const unsigned short v = zero ? 0 : floatToHalfBits(x, qk);
    img[tileImageOffset(row, 2 * c, rows, rowBytes)] = (unsigned char)(v & 0xff);
    img[tileImageOffset(row, 2 * c + 1, rows, rowBytes)] = (unsigned char)(v >> 8);
  }
}

struct HostWorkspace {
  std::vector<unsigned char> qImg, kImg, vImg;
  std::vector<float> qScale, qKmean, kScale, vScale, vMean;
};

/// The host quantizer: per-token Q and K (K smoothed), channel V (8-bit PV)
/// or 16-bit V, written as tile images per the contract.
template <class Cfg>
static void quantizeHost(const Shape &s, const std::vector<float> &q, const std::vector<float> &k,
                         const std::vector<float> &v, HostWorkspace &w) {
  constexpr int D = Cfg::kHeadDim, BM = Cfg::kBlockM, BN = Cfg::kBlockN;
  constexpr int QK = Cfg::kQK, PV = Cfg::kPV;
  constexpr bool qkQuant = QK == dt::I8 || QK == dt::I4 || QK == dt::E4M3;
  const int Hkv = s.Hq / Cfg::kGqa;
  const int NqP = (s.Nq + BM - 1) / BM * BM, NkP = (s.Nk + BN - 1) / BN * BN;
  const int rb = D * dtBits(QK) / 8;
  const float sm = 1.f / std::sqrt((float)D), smLog2 = sm * kLog2e;
  w.qImg.assign((size_t)s.B * s.Hq * NqP * rb, 0);
  w.kImg.assign((size_t)s.B * Hkv * NkP * rb, 0);
  w.vImg.assign((size_t)s.B * Hkv * NkP * D * (dtIs8Bit(PV) ? 1 : 2), 0);
  w.qScale.assign((size_t)s.B * s.Hq * NqP, 0.f);
  w.qKmean.assign((size_t)s.B * s.Hq * NqP, 0.f);
  w.kScale.assign((size_t)s.B * Hkv * NkP, 0.f);
  w.vScale.assign((size_t)s.B * Hkv * D, 1.f);
  w.vMean.assign((size_t)s.B * Hkv * D, 0.f);
  const float qkMax = quantMax(QK);
  std::vector<float> kMean(D), vMean(D), ks(D);
  for (int b = 0; b < s.B; ++b)
    for (int hk = 0; hk < Hkv; ++hk) {
      const size_t bh = (size_t)b * Hkv + hk;
      const float *K = &k[bh * s.Nk * D], *V = &v[bh * s.Nk * D];
      for (int c = 0; c < D; ++c) {
        double sk = 0, sv = 0;
        for (int t = 0; t < s.Nk; ++t)
          sk += K[(size_t)t * D + c], sv += V[(size_t)t * D + c];
        kMean[c] = (float)(sk / s.Nk);
        vMean[c] = Cfg::kSmoothV ? (float)(sv / s.Nk) : 0.f;
        w.vMean[bh * D + c] = vMean[c];
      }
      // K: smoothed, per-token scale.
      for (int t = 0; t < NkP; ++t) {
        unsigned char *img = &w.kImg[(bh * (NkP / BN) + t / BN) * (size_t)BN * rb];
        float amax = 0.f;
        for (int c = 0; c < D; ++c) {
          ks[c] = t < s.Nk ? K[(size_t)t * D + c] - kMean[c] : 0.f;
          amax = std::max(amax, std::fabs(ks[c]));
        }
        const float inv = qkQuant ? quantInvScale(amax, qkMax) : 1.f;
        w.kScale[bh * NkP + t] = qkQuant ? quantScale(amax, qkMax) : 1.f;
        for (int c = 0; c < D; ++c)
          putQk(img, BN, rb, t % BN, c, QK, ks[c], inv, t >= s.Nk);
      }
      // V: channel scale over the (smoothed) tokens.
      for (int c = 0; c < D; ++c) {
        float amax = 0.f;
        for (int t = 0; t < s.Nk; ++t)
          amax = std::max(amax, std::fabs(V[(size_t)t * D + c] - vMean[c]));
        const float pvMax = quantMax(PV);
        const float inv = dtIs8Bit(PV) ? quantInvScale(amax, pvMax) : 1.f;
        if (dtIs8Bit(PV))
          w.vScale[bh * D + c] = quantScale(amax, pvMax);
        for (int t = 0; t < s.Nk; ++t) {
          const float x = V[(size_t)t * D + c] - vMean[c];
          const int tile = t / BN, pos = t % BN;
          if (dtIs8Bit(PV)) {
            unsigned char *img = &w.vImg[(bh * (NkP / BN) + tile) * (size_t)D * BN];
            const int col = 32 * (pos / 32) + invPerm32(pos % 32);
            img[tileImageOffset(c, col, D, BN)] =
                PV == dt::I8 ? (unsigned char)(signed char)quantizeInt(x, inv, kInt8Max)
                             : quantizeE4m3(x, inv);
          } else {
            unsigned char *img = &w.vImg[(bh * (NkP / BN) + tile) * (size_t)BN * 2 * D];
            const unsigned short h16 = floatToHalfBits(x, PV);
            img[tileImageOffset(pos, 2 * c, BN, 2 * D)] = (unsigned char)(h16 & 0xff);
            img[tileImageOffset(pos, 2 * c + 1, BN, 2 * D)] = (unsigned char)(h16 >> 8);
          }
        }
      }
      // Q heads of this kv head: per-token scale (times s * log2 e), q . mean.
      for (int hg = 0; hg < Cfg::kGqa; ++hg) {
        const size_t bq = (size_t)b * s.Hq + hk * Cfg::kGqa + hg;
        const float *Q = &q[bq * s.Nq * D];
        for (int r = 0; r < NqP; ++r) {
          unsigned char *img = &w.qImg[(bq * (NqP / BM) + r / BM) * (size_t)BM * rb];
          float amax = 0.f, dot = 0.f;
          for (int c = 0; c < D; ++c) {
            const float x = r < s.Nq ? Q[(size_t)r * D + c] : 0.f;
            amax = std::max(amax, std::fabs(x));
            dot += x * kMean[c];
          }
          const float inv = qkQuant ? quantInvScale(amax, qkMax) : 1.f;
          w.qScale[bq * NqP + r] = (qkQuant ? quantScale(amax, qkMax) : 1.f) * smLog2;
          w.qKmean[bq * NqP + r] = sm * dot;
          for (int c = 0; c < D; ++c)
            putQk(img, BM, rb, r % BM, c, QK, r < s.Nq ? Q[(size_t)r * D + c] : 0.f, inv,
                  r >= s.Nq);
        }
      }
    }
}

template <class T> static T *upload(const std::vector<T> &h) {
  T *d = nullptr;
  if (cudaMalloc(&d, h.size() * sizeof(T) + 256) != cudaSuccess)
    return nullptr;
  cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice);
  return d;
}

static const char *dtName(int t) {
  static const char *n[] = {"i4", "i8", "e4m3", "f16", "bf16", "f32"};
  return n[t];
}

/// Runs one case; returns false on a failed check. `timeIters` > 0 also times it.
template <class Cfg> static bool runCase(const Shape &s, bool check, int timeIters) {
  constexpr int D = Cfg::kHeadDim, BM = Cfg::kBlockM, BN = Cfg::kBlockN;
  const int Hkv = s.Hq / Cfg::kGqa;
  const int NqP = (s.Nq + BM - 1) / BM * BM, NkP = (s.Nk + BN - 1) / BN * BN;
  char name[160];
  std::snprintf(name, sizeof name, "%s/%s D=%d %s gqa=%d%s B=%d Hq=%d Nq=%d Nk=%d [%dx%d w%d s%d]",
                dtName(Cfg::kQK), dtName(Cfg::kPV), D, Cfg::kCausal ? "causal" : "full", Cfg::kGqa,
                Cfg::kSmoothV ? " smoothV" : "", s.B, s.Hq, s.Nq, s.Nk, BM, BN, Cfg::kWarps,
                Cfg::kStages);

  std::mt19937 rng(1234 + D + s.Nq);
  std::normal_distribution<float> nd(0.f, 1.f);
  auto gen = [&](size_t n, float bias) {
    std::vector<float> x(n);
    for (size_t i = 0; i < n; ++i) // inputs are bf16 values
      x[i] = bf16ToFloat(floatToBf16(nd(rng) + bias * (float)((i % D) % 7 == 0)));
    return x;
  };
  // K carries a channel-wise bias (smoothing removes it), V a small one.
  std::vector<float> q = gen((size_t)s.B * s.Hq * s.Nq * D, 0.f);
  std::vector<float> k = gen((size_t)s.B * Hkv * s.Nk * D, 3.f);
  std::vector<float> v = gen((size_t)s.B * Hkv * s.Nk * D, 1.f);
  HostWorkspace w;
  quantizeHost<Cfg>(s, q, k, v, w);

  AttnParams p;
  std::memset(&p, 0, sizeof p);
  p.batch = s.B, p.heads_q = s.Hq, p.heads_kv = Hkv, p.seq_q = s.Nq, p.seq_k = s.Nk;
  p.seq_q_pad = NqP, p.seq_k_pad = NkP;
  p.sm_scale = 1.f / std::sqrt((float)D);
  p.sm_scale_log2 = p.sm_scale * kLog2e;
  p.o_stride[2] = D, p.o_stride[1] = (agi64)s.Nq * D, p.o_stride[0] = (agi64)s.Hq * s.Nq * D;
  p.q_quant = upload(w.qImg);
  p.k_quant = upload(w.kImg);
  p.v_quant = upload(w.vImg);
  p.q_scale = upload(w.qScale);
  p.q_kmean = upload(w.qKmean);
  p.k_scale = upload(w.kScale);
  p.v_scale = upload(w.vScale);
  p.v_mean = upload(w.vMean);
  const size_t oElems = (size_t)s.B * s.Hq * s.Nq * D;
  CK(cudaMalloc(&p.o, oElems * 2));
  CK(cudaMalloc(&p.lse, (size_t)s.B * s.Hq * s.Nq * 4));
  CK(cudaMemset(p.o, 0xff, oElems * 2)); // NaN poison: every element must be written
  CK(cudaMemset(p.lse, 0xff, (size_t)s.B * s.Hq * s.Nq * 4));

  const int smem = attentionSmemBytes(0, D, Cfg::kQK, Cfg::kPV, BM, BN, Cfg::kStages);
  CK(cudaFuncSetAttribute(sm80Attention<Cfg>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  const dim3 grid(NqP / BM, s.Hq, s.B), block(Cfg::kWarps * 32);
  sm80Attention<Cfg><<<grid, block, smem>>>(p);
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());

  bool ok = true;
  if (check) {
    float *dq = upload(q), *dk = upload(k), *dv = upload(v), *ro, *rl;
    CK(cudaMalloc(&ro, oElems * 4));
    CK(cudaMalloc(&rl, (size_t)s.B * s.Hq * s.Nq * 4));
    referenceAttention<D><<<dim3((s.Nq + 63) / 64, s.Hq, s.B), 64>>>(
        dq, dk, dv, ro, rl, s.B, s.Hq, Hkv, s.Nq, s.Nk, p.sm_scale, Cfg::kCausal);
    CK(cudaGetLastError());
    CK(cudaDeviceSynchronize());
    std::vector<unsigned short> oh(oElems);
    std::vector<float> ref(oElems), lse((size_t)s.B * s.Hq * s.Nq), rlse(lse.size());
    CK(cudaMemcpy(oh.data(), p.o, oElems * 2, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(ref.data(), ro, oElems * 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(lse.data(), p.lse, lse.size() * 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(rlse.data(), rl, lse.size() * 4, cudaMemcpyDeviceToHost));
    // |LSE error| is bounded by the largest score error of the row, which the
    // QK operand's quantization step sets: e4m3 keeps 3 mantissa bits, int4
    // has 15 levels (rows with few visible keys are the worst case).
    const double lseTol = Cfg::kQK == dt::I4 ? 0.5 : Cfg::kQK == dt::E4M3 ? 0.2 : 0.05;
    double dot = 0, na = 0, nb = 0, l1 = 0, l1r = 0, maxErr = 0, lseErr = 0;
    size_t nan = 0, firstBad = (size_t)-1, emptyBad = 0, lseBad = 0;
    for (size_t i = 0; i < oElems; ++i) {
      const float a = bf16ToFloat(oh[i]), r = ref[i];
      if (!std::isfinite(a)) {
        ++nan;
        if (firstBad == (size_t)-1)
          firstBad = i;
        continue;
      }
      dot += (double)a * r, na += (double)a * a, nb += (double)r * r;
      l1 += std::fabs(a - r), l1r += std::fabs(r);
      maxErr = std::max(maxErr, (double)std::fabs(a - r));
    }
    for (size_t i = 0; i < lse.size(); ++i) {
      if (std::isinf(rlse[i])) { // a fully masked row: O = 0, LSE = -inf
        emptyBad += !(std::isinf(lse[i]) && lse[i] < 0);
        for (int c = 0; c < D; ++c)
          emptyBad += oh[i * D + c] != 0 && oh[i * D + c] != 0x8000;
        continue;
      }
      const double e = std::fabs((double)lse[i] - rlse[i]);
      if (!(e <= lseTol))
        ++lseBad;
      if (std::isfinite(e))
        lseErr = std::max(lseErr, e);
    }
    const double cosine = dot / std::sqrt(na * nb + 1e-30);
    const bool int4 = Cfg::kQK == dt::I4;
    const double minCos = int4 ? 0.99 : 0.9995;
    ok = nan == 0 && emptyBad == 0 && lseBad == 0 && cosine >= minCos;
    std::printf("%s %-58s cos=%.6f relL1=%.4f maxAbs=%.4f lseMaxErr=%.4f nan=%zu "
                "emptyBad=%zu lseBad=%zu",
                ok ? "PASS" : "FAIL", name, cosine, l1 / (l1r + 1e-30), maxErr, lseErr, nan,
                emptyBad, lseBad);
    if (firstBad != (size_t)-1)
      std::printf(" firstNaN=(bh=%zu row=%zu c=%zu)", firstBad / ((size_t)s.Nq * D),
                  firstBad / D % s.Nq, firstBad % D);
    std::printf("\n");
    cudaFree(dq), cudaFree(dk), cudaFree(dv), cudaFree(ro), cudaFree(rl);
  }
  if (timeIters > 0) {
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0), cudaEventCreate(&e1);
    std::vector<float> ms;
    for (int i = 0; i < timeIters + 3; ++i) {
      cudaEventRecord(e0);
      sm80Attention<Cfg><<<grid, block, smem>>>(p);
      cudaEventRecord(e1);
      cudaEventSynchronize(e1);
      float t = 0;
      cudaEventElapsedTime(&t, e0, e1);
      if (i >= 3)
        ms.push_back(t);
    }
    CK(cudaGetLastError());
    std::sort(ms.begin(), ms.end());
    const double med = ms[ms.size() / 2];
    double flops = 4.0 * s.B * s.Hq * (double)s.Nq * s.Nk * D;
    if (Cfg::kCausal && s.Nq == s.Nk)
      flops /= 2;
    std::printf("TIME %-58s %.3f ms %.1f TFLOPS\n", name, med, flops / (med * 1e-3) / 1e12);
  }
  cudaFree(p.q_quant), cudaFree(p.k_quant), cudaFree(p.v_quant), cudaFree(p.q_scale);
  cudaFree(p.q_kmean), cudaFree(p.k_scale), cudaFree(p.v_scale), cudaFree(p.v_mean);
  cudaFree(p.o), cudaFree(p.lse);
  return ok;
}

int main(int argc, char **argv) {
  const bool timing = !(argc > 1 && std::strcmp(argv[1], "--check-only") == 0);
  int fails = 0;
  auto tally = [&](bool ok) { fails += !ok; };
  if (argc > 1 && std::strcmp(argv[1], "--small") == 0) { // for compute-sanitizer
    tally(runCase<HCfg<dt::I8, dt::E4M3, 128, true, 4, false>>(Shape{1, 8, 130, 200}, true, 0));
    tally(runCase<HCfg<dt::I8, dt::I8, 64, true, 1, true>>(Shape{1, 2, 200, 70}, true, 0));
    tally(runCase<HCfg<dt::BF16, dt::BF16, 128, false, 1, false>>(Shape{1, 2, 100, 150}, true, 0));
    std::printf("SUMMARY small: %d failed\n", fails);
    return fails == 0 ? 0 : 1;
  }
  const Shape sq{2, 4, 1000, 1000}, gq{1, 8, 1000, 1000};
  // Correctness: odd N (partial last block), causal, GQA, Nq != Nk both ways.
  tally(runCase<HCfg<dt::I8, dt::F16, 128, false, 1, false>>(sq, true, 0));
  tally(runCase<HCfg<dt::I8, dt::E4M3, 128, true, 4, false>>(gq, true, 0));
  tally(runCase<HCfg<dt::I8, dt::E4M3, 128, false, 1, false>>(sq, true, 0));
  tally(runCase<HCfg<dt::I8, dt::E4M3, 64, false, 4, true>>(gq, true, 0));
  tally(runCase<HCfg<dt::I4, dt::E4M3, 128, false, 1, false>>(sq, true, 0));
  tally(runCase<HCfg<dt::I4, dt::E4M3, 64, true, 1, false>>(sq, true, 0));
  tally(runCase<HCfg<dt::E4M3, dt::E4M3, 64, true, 1, false>>(sq, true, 0));
  tally(runCase<HCfg<dt::E4M3, dt::E4M3, 128, false, 4, false>>(gq, true, 0));
  tally(runCase<HCfg<dt::I8, dt::I8, 128, true, 1, false>>(Shape{2, 4, 1000, 700}, true, 0));
  tally(runCase<HCfg<dt::I8, dt::I8, 64, false, 1, true>>(sq, true, 0));
  tally(runCase<HCfg<dt::I8, dt::BF16, 64, true, 4, false>>(Shape{1, 8, 257, 1000}, true, 0));
  tally(runCase<HCfg<dt::BF16, dt::BF16, 128, true, 1, false>>(Shape{2, 4, 333, 1000}, true, 0));
  std::printf("SUMMARY correctness: %d failed\n", fails);
  if (timing) {
    const Shape big{4, 16, 4096, 4096};
    runCase<HCfg<dt::I8, dt::F16, 128, false, 1, false>>(big, false, 20);
    runCase<HCfg<dt::I8, dt::E4M3, 128, false, 1, false>>(big, false, 20);
    runCase<HCfg<dt::I4, dt::E4M3, 128, false, 1, false>>(big, false, 20);
    runCase<HCfg<dt::E4M3, dt::E4M3, 128, false, 4, false>>(big, false, 20);
    runCase<HCfg<dt::I8, dt::I8, 128, true, 1, false>>(big, false, 20);
    runCase<HCfg<dt::BF16, dt::BF16, 128, true, 1, false>>(big, false, 20);
    runCase<HCfg<dt::I8, dt::E4M3, 64, false, 4, true>>(big, false, 20);
  }
  if (argc > 1 && std::strcmp(argv[1], "--sweep") == 0) {
    const Shape big{4, 16, 4096, 4096};
    // Tile sweep of the mma.sync branch of selectTileSize (blockM, blockN, warps, stages).
    runCase<HCfg<dt::I8, dt::F16, 128, false, 1, false, 128, 64, 8, 2>>(big, true, 20);
    runCase<HCfg<dt::I8, dt::F16, 128, false, 1, false, 64, 64, 4, 3>>(big, false, 20);
    runCase<HCfg<dt::I8, dt::E4M3, 128, false, 1, false, 128, 64, 8, 2>>(big, true, 20);
    runCase<HCfg<dt::I8, dt::E4M3, 128, false, 1, false, 64, 64, 4, 3>>(big, false, 20);
    runCase<HCfg<dt::I8, dt::E4M3, 128, false, 1, false, 128, 64, 8, 3>>(big, false, 20);
    runCase<HCfg<dt::I8, dt::I8, 128, true, 1, false, 128, 64, 8, 2>>(big, false, 20);
    runCase<HCfg<dt::E4M3, dt::E4M3, 64, false, 1, false, 128, 64, 8, 2>>(big, false, 20);
    runCase<HCfg<dt::E4M3, dt::E4M3, 64, false, 1, false>>(big, false, 20);
  }
  return fails == 0 ? 0 : 1;
}
