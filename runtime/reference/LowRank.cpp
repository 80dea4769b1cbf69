//===- LowRank.cpp - Randomized truncated SVD of a bias table -------------===//
//
// Blocked randomized range finder (Halko, Martinsson, Tropp; grown block by
// block with an exact error indicator as in Yu, Gu, Li's randQB_EI): Q
// [m x k] orthonormal and B = Q^T A [k x n], so ||A - QB||_F^2 = ||A||_F^2 -
// ||B||_F^2 is known without touching A. The rank-r choice comes from the
// eigen-decomposition of the small Gram matrix B B^T: with B = Ub S Vb^T,
// A ~ (Q Ub_r)(B^T Ub_r)^T is the projection of A onto r orthonormal
// directions, whose error is ||A||_F^2 - sum_{t<r} sigma_t^2 exactly.
//
//===----------------------------------------------------------------------===//
#include "attngen/reference/LowRank.h"

#include "Rng.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attngen::ref {

FitTarget FitTarget::energy(double e, int maxRank) {
  FitTarget t;
  t.kind = Kind::Energy;
  t.value = e;
  t.maxRank = maxRank;
  return t;
}

FitTarget FitTarget::relError(double e, int maxRank) {
  FitTarget t;
  t.kind = Kind::RelError;
  t.value = e;
  t.maxRank = maxRank;
  return t;
}

FitTarget FitTarget::fixedRank(int r) {
  FitTarget t;
  t.kind = Kind::Rank;
  t.rank = r;
  return t;
}

namespace {

/// Columns added to the range basis per step: enough for the products with A
/// to run at streaming speed, few enough to stop near the needed rank.
constexpr int kBlock = 16;

/// A sketch vector whose norm falls below this fraction of its norm before
/// orthogonalization holds no new direction (the range is exhausted).
constexpr double kDropTolerance = 1e-12;

/// Columns added past the estimated rank when the float factors miss a
/// target at the rounding floor (each costs an exact rows x cols check).
constexpr int kRoundingRetries = 4;

double dot(const double *x, const double *y, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i)
    s += x[i] * y[i];
  return s;
}

/// A view of the table A (row-major m x n floats).
struct Table {
  const float *a;
  int m, n;
  const float *row(int i) const { return a + size_t(i) * size_t(n); }
};

/// Y[t] = A X[t] for the `count` vectors X [count][n]; Y is [count][m].
/// Accumulates in T: float for the range finder's products, whose rounding
/// only tilts a basis that is re-orthonormalized in double, at twice the
/// vector width; double for B = Q^T A, which the factors are made of.
template <typename T>
std::vector<double> multiplyA(const Table &A, const std::vector<double> &x, int count) {
  const size_t n = size_t(A.n), m = size_t(A.m), c = size_t(count);
  // X transposed to [n][count]: the inner loop runs over the vectors, an
  // update without a reduction, which the compiler vectorizes.
  std::vector<T> xt(n * c);
  for (size_t t = 0; t < c; ++t)
    for (size_t j = 0; j < n; ++j)
      xt[j * c + t] = T(x[t * n + j]);
  std::vector<double> y(c * m);
  std::vector<T> acc(c);
  for (size_t i = 0; i < m; ++i) {
    const float *ai = A.row(int(i));
    std::fill(acc.begin(), acc.end(), T(0));
    for (size_t j = 0; j < n; ++j) {
      const T aij = ai[j];
      const T *xj = &xt[j * c];
      for (size_t t = 0; t < c; ++t)
        acc[t] += aij * xj[t];
    }
    for (size_t t = 0; t < c; ++t)
      y[t * m + i] = acc[t];
  }
  return y;
}

/// Z[t] = A^T Y[t] for the `count` vectors Y [count][m]; Z is [count][n]
/// (accumulated in T, as multiplyA).
template <typename T>
std::vector<double> multiplyAT(const Table &A, const std::vector<double> &y, int count) {
  const size_t n = size_t(A.n), m = size_t(A.m), c = size_t(count);
  std::vector<T> z(c * n, T(0));
  for (size_t i = 0; i < m; ++i) {
    const float *ai = A.row(int(i));
    for (size_t t = 0; t < c; ++t) {
      const T yti = T(y[t * m + i]);
      T *zt = &z[t * n];
      for (size_t j = 0; j < n; ++j)
        zt[j] += yti * T(ai[j]);
    }
  }
  return std::vector<double>(z.begin(), z.end());
}

/// Orthonormalizes the `count` vectors of length `len` in `v` against the
/// `basisCount` orthonormal vectors of `basis` and among themselves
/// (classical Gram-Schmidt applied twice, which is orthogonal to working
/// precision); vectors that hold no new direction are dropped. Returns the
/// number kept, compacted to the front of `v`.
int orthonormalize(std::vector<double> &v, int count, size_t len, const std::vector<double> &basis,
                   int basisCount) {
  int kept = 0;
  for (int t = 0; t < count; ++t) {
    double *x = &v[size_t(t) * len];
    const double before = std::sqrt(dot(x, x, len));
    for (int pass = 0; pass < 2; ++pass) {
      for (int l = 0; l < basisCount; ++l) {
        const double *q = &basis[size_t(l) * len];
        const double c = dot(q, x, len);
        for (size_t i = 0; i < len; ++i)
          x[i] -= c * q[i];
      }
      for (int l = 0; l < kept; ++l) {
        const double *q = &v[size_t(l) * len];
        const double c = dot(q, x, len);
        for (size_t i = 0; i < len; ++i)
          x[i] -= c * q[i];
      }
    }
    const double after = std::sqrt(dot(x, x, len));
    if (!(after > kDropTolerance * before) || after == 0)
      continue;
    double *dst = &v[size_t(kept) * len];
    for (size_t i = 0; i < len; ++i)
      dst[i] = x[i] / after;
    ++kept;
  }
  v.resize(size_t(kept) * len);
  return kept;
}

/// Eigen-decomposition of the symmetric k x k matrix g (row-major) by cyclic
/// Jacobi rotations: eigenvalues descending, vectors[i * k + t] the i-th
/// component of eigenvector t.
void symmetricEigen(std::vector<double> g, int k, std::vector<double> &values,
                    std::vector<double> &vectors) {
  const size_t K = size_t(k);
  std::vector<double> w(K * K, 0.0);
  for (size_t i = 0; i < K; ++i)
    w[i * K + i] = 1;
  for (int sweep = 0; sweep < 64; ++sweep) {
    double off = 0, diag = 0;
    for (size_t p = 0; p < K; ++p) {
      diag += g[p * K + p] * g[p * K + p];
      for (size_t q = p + 1; q < K; ++q)
        off += g[p * K + q] * g[p * K + q];
    }
    if (off <= 1e-32 * diag || off == 0)
      break;
    for (size_t p = 0; p < K; ++p)
      for (size_t q = p + 1; q < K; ++q) {
        const double gpq = g[p * K + q];
        if (gpq == 0)
          continue;
        const double tau = (g[q * K + q] - g[p * K + p]) / (2 * gpq);
        const double t = (tau >= 0 ? 1.0 : -1.0) / (std::fabs(tau) + std::sqrt(1 + tau * tau));
        const double c = 1 / std::sqrt(1 + t * t), s = t * c;
        for (size_t r = 0; r < K; ++r) {
          const double grp = g[r * K + p], grq = g[r * K + q];
          g[r * K + p] = c * grp - s * grq;
          g[r * K + q] = s * grp + c * grq;
        }
        for (size_t r = 0; r < K; ++r) {
          const double gpr = g[p * K + r], gqr = g[q * K + r];
          g[p * K + r] = c * gpr - s * gqr;
          g[q * K + r] = s * gpr + c * gqr;
        }
        for (size_t r = 0; r < K; ++r) {
          const double wrp = w[r * K + p], wrq = w[r * K + q];
          w[r * K + p] = c * wrp - s * wrq;
          w[r * K + q] = s * wrp + c * wrq;
        }
      }
  }
  std::vector<size_t> order(K);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return g[x * K + x] > g[y * K + y]; });
  values.resize(K);
  vectors.assign(K * K, 0.0);
  for (size_t t = 0; t < K; ++t) {
    values[t] = g[order[t] * K + order[t]];
    for (size_t i = 0; i < K; ++i)
      vectors[i * K + t] = w[i * K + order[t]];
  }
}

/// The growing factorization A ~ Q B.
struct Sketch {
  int k = 0;
  std::vector<double> q; ///< [k][m], orthonormal
  std::vector<double> b; ///< [k][n], Q^T A
  double captured = 0;   ///< ||B||_F^2
  bool exhausted = false;
};

/// Adds up to `count` directions of A's range to the sketch.
void grow(const Table &A, Sketch &s, int count, int powerIterations, Rng &rng) {
  const size_t m = size_t(A.m), n = size_t(A.n);
  std::vector<double> x(size_t(count) * n);
  for (double &e : x)
    e = rng.normal();
  std::vector<double> y = multiplyA<float>(A, x, count);
  int kept = orthonormalize(y, count, m, s.q, s.k);
  // Power iterations sharpen the block toward the leading remaining
  // directions; y stays orthogonal to Q, so A^T y is the deflated product.
  for (int it = 0; it < powerIterations && kept > 0; ++it) {
    std::vector<double> z = multiplyAT<float>(A, y, kept);
    kept = orthonormalize(z, kept, n, {}, 0);
    if (kept == 0)
      break;
    y = multiplyA<float>(A, z, kept);
    kept = orthonormalize(y, kept, m, s.q, s.k);
  }
  if (kept == 0) {
    s.exhausted = true;
    return;
  }
  std::vector<double> b = multiplyAT<double>(A, y, kept);
  s.captured += dot(b.data(), b.data(), b.size());
  s.q.insert(s.q.end(), y.begin(), y.end());
  s.b.insert(s.b.end(), b.begin(), b.end());
  s.k += kept;
}

/// Squared singular values (descending) and left singular vectors of B.
void decompose(const Sketch &s, size_t n, std::vector<double> &lambda, std::vector<double> &ub) {
  const size_t K = size_t(s.k);
  std::vector<double> g(K * K);
  for (size_t l = 0; l < K; ++l)
    for (size_t t = l; t < K; ++t)
      g[l * K + t] = g[t * K + l] = dot(&s.b[l * n], &s.b[t * n], n);
  symmetricEigen(std::move(g), s.k, lambda, ub);
  for (double &e : lambda)
    e = std::max(e, 0.0);
}

const char *targetName(FitTarget::Kind kind) {
  switch (kind) {
  case FitTarget::Kind::Energy:
    return "energy";
  case FitTarget::Kind::RelError:
    return "relative error";
  case FitTarget::Kind::Rank:
    return "rank";
  }
  return "?";
}

/// The largest residual ||A - UV^T||_F^2 the target allows.
double allowedResidual(const FitTarget &t, double normA2) {
  const double floor2 = kFitRoundingFloor * kFitRoundingFloor;
  if (t.kind == FitTarget::Kind::Energy)
    return std::max(1 - t.value, floor2) * normA2;
  if (t.kind == FitTarget::Kind::RelError)
    return std::max(t.value * t.value, floor2) * normA2;
  return INFINITY;
}

/// u, v of rank r from the sketch: u_t = sqrt(sigma_t) Q ub_t, v_t = B^T ub_t
/// / sqrt(sigma_t); columns past the sketch's rank (or with sigma_t = 0) are 0.
void buildFactors(const Sketch &s, int m, int n, const std::vector<double> &lambda,
                  const std::vector<double> &ub, int r, LowRankFit &fit) {
  const size_t K = size_t(s.k), R = size_t(r);
  fit.rank = r;
  fit.u.assign(size_t(m) * R, 0.f);
  fit.v.assign(size_t(n) * R, 0.f);
  for (size_t t = 0; t < R && t < K; ++t) {
    const double sigma = std::sqrt(lambda[t]);
    if (!(sigma > 0))
      continue;
    const double root = std::sqrt(sigma);
    std::vector<double> col(size_t(std::max(m, n)));
    std::fill(col.begin(), col.begin() + m, 0.0);
    for (size_t l = 0; l < K; ++l) {
      const double w = ub[l * K + t];
      const double *ql = &s.q[l * size_t(m)];
      for (int i = 0; i < m; ++i)
        col[size_t(i)] += w * ql[i];
    }
    for (int i = 0; i < m; ++i)
      fit.u[size_t(i) * R + t] = float(col[size_t(i)] * root);
    std::fill(col.begin(), col.begin() + n, 0.0);
    for (size_t l = 0; l < K; ++l) {
      const double w = ub[l * K + t];
      const double *bl = &s.b[l * size_t(n)];
      for (int j = 0; j < n; ++j)
        col[size_t(j)] += w * bl[j];
    }
    for (int j = 0; j < n; ++j)
      fit.v[size_t(j) * R + t] = float(col[size_t(j)] / root);
  }
}

/// ||A - u v^T||_F^2 and max |A - u v^T| of the float factors, in double.
void measure(const Table &A, const LowRankFit &fit, double &residual2, double &maxAbs) {
  const size_t n = size_t(A.n), R = size_t(fit.rank);
  std::vector<double> vt(R * n);
  for (size_t j = 0; j < n; ++j)
    for (size_t t = 0; t < R; ++t)
      vt[t * n + j] = fit.v[j * R + t];
  std::vector<double> rec(n);
  residual2 = 0, maxAbs = 0;
  for (int i = 0; i < A.m; ++i) {
    std::fill(rec.begin(), rec.end(), 0.0);
    for (size_t t = 0; t < R; ++t) {
      const double c = fit.u[size_t(i) * R + t];
      const double *vr = &vt[t * n];
      for (size_t j = 0; j < n; ++j)
        rec[j] += c * vr[j];
    }
    const float *ai = A.row(i);
    for (size_t j = 0; j < n; ++j) {
      const double d = double(ai[j]) - rec[j];
      residual2 += d * d;
      maxAbs = std::max(maxAbs, std::fabs(d));
    }
  }
}

} // namespace

Expected<LowRankFit> fitLowRank(const float *a, int rows, int cols, const FitTarget &target) {
  if (rows <= 0 || cols <= 0)
    return Error{fmt::format("fitLowRank: the table is {} x {}; both dimensions must be positive",
                             rows, cols)};
  if (!a)
    return Error{"fitLowRank: the table is null"};
  const int full = std::min(rows, cols);
  if (target.maxRank < 0)
    return Error{fmt::format("fitLowRank: max rank {} is negative", target.maxRank)};
  if (target.powerIterations < 0)
    return Error{fmt::format("fitLowRank: {} power iterations", target.powerIterations)};
  const int maxRank =
      target.maxRank > 0 ? std::min(target.maxRank, full) : std::min(full, kDefaultMaxRank);
  switch (target.kind) {
  case FitTarget::Kind::Energy:
    if (!(target.value > 0 && target.value <= 1))
      return Error{fmt::format("fitLowRank: energy target {} is outside (0, 1]", target.value)};
    break;
  case FitTarget::Kind::RelError:
    if (!(target.value >= 0 && target.value < 1))
      return Error{
          fmt::format("fitLowRank: relative error target {} is outside [0, 1)", target.value)};
    break;
  case FitTarget::Kind::Rank:
    if (target.rank < 1 || target.rank > full)
      return Error{fmt::format("fitLowRank: rank {} is outside [1, min(rows, cols) = {}]",
                               target.rank, full)};
    if (target.maxRank > 0 && target.rank > target.maxRank)
      return Error{
          fmt::format("fitLowRank: rank {} exceeds max rank {}", target.rank, target.maxRank)};
    break;
  }

  const Table A{a, rows, cols};
  const size_t total = size_t(rows) * size_t(cols);
  double normA2 = 0;
  for (size_t e = 0; e < total; ++e) {
    if (!std::isfinite(a[e]))
      return Error{fmt::format("fitLowRank: entry [{}][{}] is {}", e / size_t(cols),
                               e % size_t(cols), a[e])};
    normA2 += double(a[e]) * double(a[e]);
  }
  const bool fixed = target.kind == FitTarget::Kind::Rank;
  if (normA2 == 0) {
    LowRankFit fit;
    fit.rank = fixed ? target.rank : 1;
    fit.u.assign(size_t(rows) * size_t(fit.rank), 0.f);
    fit.v.assign(size_t(cols) * size_t(fit.rank), 0.f);
    fit.energy = 1;
    fit.singular.assign(size_t(fit.rank), 0.0);
    return fit;
  }

  const double allowed = allowedResidual(target, normA2);
  // The sketch runs one block past the rank it may return: the top r of a
  // k-column sketch are near-optimal only when k - r leaves some oversampling.
  const int kCap = std::min(full, (fixed ? target.rank : maxRank) + kBlock);
  auto missed = [&](int rank, double energy, double relError) -> Error {
    return Error{fmt::format("fitLowRank: {} target {} not reached within max rank {}: rank {} "
                             "reaches energy {:.6g} (relative Frobenius error {:.4g})",
                             targetName(target.kind), target.value, maxRank, rank, energy,
                             relError)};
  };
  Rng rng(target.seed);
  Sketch s;
  std::vector<double> lambda, ub;
  int r = 0;
  while (true) {
    const bool canGrow = !s.exhausted && s.k < kCap;
    // ||A - QB||^2 = normA2 - captured bounds every truncation of QB from
    // below: below the target, no eigen-solve is needed to know to grow.
    if (canGrow && (fixed || normA2 - s.captured > allowed)) {
      grow(A, s, std::min(kBlock, kCap - s.k), target.powerIterations, rng);
      continue;
    }
    decompose(s, size_t(cols), lambda, ub);
    if (fixed) {
      r = target.rank;
      break;
    }
    double kept = 0;
    r = 0;
    for (int t = 0; t < std::min(s.k, maxRank); ++t) {
      kept += lambda[size_t(t)];
      if (normA2 - kept <= allowed) {
        r = t + 1;
        break;
      }
    }
    if (r > 0 && (s.k >= r + kBlock || !canGrow))
      break;
    if (!canGrow) {
      const double reached = std::max(normA2 - kept, 0.0) / normA2;
      return missed(std::min(s.k, maxRank), 1 - reached, std::sqrt(reached));
    }
    grow(A, s, std::min(kBlock, kCap - s.k), target.powerIterations, rng);
  }

  // The estimate is exact up to rounding; the float factors may still miss a
  // target at the rounding floor by a hair, which one more column settles.
  LowRankFit fit;
  fit.sketchRank = s.k;
  fit.singular.resize(lambda.size());
  for (size_t t = 0; t < lambda.size(); ++t)
    fit.singular[t] = std::sqrt(lambda[t]);
  const int lastRank = fixed ? r : std::min(s.k, maxRank), chosen = r;
  for (;; ++r) {
    buildFactors(s, rows, cols, lambda, ub, r, fit);
    double residual2 = 0;
    measure(A, fit, residual2, fit.maxAbsError);
    fit.relFrobError = std::sqrt(residual2 / normA2);
    fit.energy = 1 - residual2 / normA2;
    if (fixed || residual2 <= allowed)
      break;
    if (r >= lastRank || r >= chosen + kRoundingRetries)
      return missed(r, fit.energy, fit.relFrobError);
  }
  if (fit.singular.size() < size_t(fit.rank))
    fit.singular.resize(size_t(fit.rank), 0.0);
  return fit;
}

std::vector<float> applyLowRank(const LowRankFit &fit) {
  const size_t R = size_t(fit.rank);
  if (R == 0)
    return {};
  const size_t m = fit.u.size() / R, n = fit.v.size() / R;
  std::vector<float> out(m * n);
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      double acc = 0;
      for (size_t t = 0; t < R; ++t)
        acc += double(fit.u[i * R + t]) * fit.v[j * R + t];
      out[i * n + j] = float(acc);
    }
  return out;
}

std::vector<float> swinLikeBias(int gridH, int gridW, int head, uint64_t seed) {
  if (gridH <= 0 || gridW <= 0)
    return {};
  // Each head draws its own table, as each head of a trained model has one.
  Rng rng(seed * 0x9e3779b97f4a7c15ull + uint64_t(head) * 0xd1b54a32d192ed03ull + 1);
  const int th = 2 * gridH - 1, tw = 2 * gridW - 1;
  std::vector<double> table(size_t(th) * size_t(tw));
  const double slopeY = rng.uniform(-1, 1), slopeX = rng.uniform(-1, 1);
  struct Bump {
    double amp, cy, cx, sy, sx;
  };
  std::vector<Bump> bumps;
  // A peak near offset 0 (nearby tokens attend most), then broader features.
  bumps.push_back({rng.uniform(2, 4), rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(1.5, 3),
                   rng.uniform(1.5, 3)});
  const int extra = 3 + int(rng.uniform() * 3);
  for (int b = 0; b < extra; ++b)
    bumps.push_back({rng.uniform(-3, 3), rng.uniform(-(gridH - 1), gridH - 1),
                     rng.uniform(-(gridW - 1), gridW - 1), rng.uniform(2, 0.5 * gridH + 2),
                     rng.uniform(2, 0.5 * gridW + 2)});
  for (int y = 0; y < th; ++y)
    for (int x = 0; x < tw; ++x) {
      const double dy = y - (gridH - 1), dx = x - (gridW - 1);
      double v = slopeY * dy / gridH + slopeX * dx / gridW + 0.02 * rng.normal();
      for (const Bump &b : bumps) {
        const double ey = (dy - b.cy) / b.sy, ex = (dx - b.cx) / b.sx;
        v += b.amp * std::exp(-0.5 * (ey * ey + ex * ex));
      }
      table[size_t(y) * size_t(tw) + size_t(x)] = v;
    }
  const size_t N = size_t(gridH) * size_t(gridW);
  std::vector<float> bias(N * N);
  for (size_t i = 0; i < N; ++i) {
    const int yi = int(i) / gridW, xi = int(i) % gridW;
    for (size_t j = 0; j < N; ++j) {
      const int yj = int(j) / gridW, xj = int(j) % gridW;
      bias[i * N + j] =
          float(table[size_t(yi - yj + gridH - 1) * size_t(tw) + size_t(xi - xj + gridW - 1)]);
    }
  }
  return bias;
}

DistanceFactors distanceFactors(const float *x, int nq, const float *y, int nk, int d,
                                double weight) {
  DistanceFactors f;
  f.rank = d + 2;
  const size_t r = size_t(f.rank);
  f.qb.assign(size_t(nq) * r, 0.f);
  f.kb.assign(size_t(nk) * r, 0.f);
  // Row t of `pts` as (a |p|^2, b, c p): qb with (-w, -w, 2w), kb with (1, 1, 1)
  // after swapping its first two entries.
  auto fill = [&](const float *pts, int n, double a, double b, double c, std::vector<float> &out) {
    for (int t = 0; t < n; ++t) {
      const float *pt = pts + size_t(t) * d;
      double norm = 0;
      for (int k = 0; k < d; ++k)
        norm += double(pt[k]) * pt[k];
      float *o = &out[size_t(t) * r];
      o[0] = float(a * norm);
      o[1] = float(b);
      for (int k = 0; k < d; ++k)
        o[2 + k] = float(c * pt[k]);
    }
  };
  fill(x, nq, -weight, -weight, 2 * weight, f.qb);
  fill(y, nk, 1.0, 1.0, 1.0, f.kb);
  for (int j = 0; j < nk; ++j) // kb_j = (1, |y_j|^2, y_j)
    std::swap(f.kb[size_t(j) * r], f.kb[size_t(j) * r + 1]);
  return f;
}

} // namespace attngen::ref
