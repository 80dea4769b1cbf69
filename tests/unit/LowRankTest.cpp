// Low-rank fitting of bias tables (FlashBias, issue 4): ranks, spectra,
// targets, errors, the Swin-like generator.
#include "catch.h"

#include "attngen/attngen.h"
#include "attngen/reference/LowRank.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

using namespace attngen;
using namespace attngen::ref;

namespace {

std::vector<float> gaussian(size_t count, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::vector<float> x(count);
  for (float &e : x)
    e = float(normal(gen));
  return x;
}

/// X Y^T for X [m][k], Y [n][k] Gaussian: rank k exactly (up to float rounding).
std::vector<float> randomRankK(int m, int n, int k, unsigned seed) {
  const std::vector<float> x = gaussian(size_t(m) * k, seed), y = gaussian(size_t(n) * k, seed + 1);
  std::vector<float> a(size_t(m) * n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int t = 0; t < k; ++t)
        s += double(x[size_t(i) * k + t]) * y[size_t(j) * k + t];
      a[size_t(i) * n + j] = float(s);
    }
  return a;
}

/// A random orthogonal d x d matrix (row-major, double): a product of
/// Householder reflections of random unit vectors.
std::vector<double> randomOrthogonal(int d, unsigned seed) {
  std::vector<double> q(size_t(d) * d, 0.0);
  for (int i = 0; i < d; ++i)
    q[size_t(i) * d + i] = 1;
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  for (int h = 0; h < 4; ++h) {
    std::vector<double> v(static_cast<size_t>(d));
    double norm = 0;
    for (double &e : v) {
      e = normal(gen);
      norm += e * e;
    }
    norm = std::sqrt(norm);
    for (double &e : v)
      e /= norm;
    // Q <- Q (I - 2 v v^T)
    for (int i = 0; i < d; ++i) {
      double qv = 0;
      for (int j = 0; j < d; ++j)
        qv += q[size_t(i) * d + j] * v[size_t(j)];
      for (int j = 0; j < d; ++j)
        q[size_t(i) * d + j] -= 2 * qv * v[size_t(j)];
    }
  }
  return q;
}

/// Q1 diag(s) Q2^T with Q1 m x m, Q2 n x n random orthogonal.
std::vector<float> withSpectrum(int m, int n, const std::vector<double> &s, unsigned seed) {
  const std::vector<double> q1 = randomOrthogonal(m, seed), q2 = randomOrthogonal(n, seed + 7);
  std::vector<float> a(size_t(m) * n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double acc = 0;
      for (size_t t = 0; t < s.size(); ++t)
        acc += q1[size_t(i) * m + t] * s[t] * q2[size_t(j) * n + t];
      a[size_t(i) * n + j] = float(acc);
    }
  return a;
}

/// ||A - B||_F / ||A||_F and max |A - B|, independently of the fitter.
std::pair<double, double> compare(const std::vector<float> &a, const std::vector<float> &b) {
  REQUIRE(a.size() == b.size());
  double num = 0, den = 0, maxAbs = 0;
  for (size_t e = 0; e < a.size(); ++e) {
    const double d = double(a[e]) - b[e];
    num += d * d;
    den += double(a[e]) * a[e];
    maxAbs = std::max(maxAbs, std::fabs(d));
  }
  return {std::sqrt(num / den), maxAbs};
}

LowRankFit fit(const std::vector<float> &a, int m, int n, const FitTarget &t) {
  auto f = fitLowRank(a.data(), m, n, t);
  INFO((f ? std::string() : f.message()));
  REQUIRE(f);
  REQUIRE(f->u.size() == size_t(m) * size_t(f->rank));
  REQUIRE(f->v.size() == size_t(n) * size_t(f->rank));
  return *f;
}

} // namespace

TEST_CASE("a random rank-k matrix is recovered at its rank", "[lowrank][fit]") {
  for (auto [m, n, k] :
       {std::tuple{300, 200, 7}, std::tuple{700, 520, 41}, std::tuple{150, 400, 12}}) {
    INFO(m << " x " << n << ", rank " << k);
    const std::vector<float> a = randomRankK(m, n, k, unsigned(k));
    const LowRankFit f = fit(a, m, n, FitTarget::energy(1 - 1e-6));
    CHECK(f.rank == k);
    CHECK(f.energy >= 1 - 1e-6);
    CHECK(f.relFrobError < 1e-6);
    const auto [rel, maxAbs] = compare(a, applyLowRank(f));
    CHECK(rel == Approx(f.relFrobError).margin(2e-7));
    CHECK(maxAbs <= f.maxAbsError * 1.01 + 1e-5);
    // One column less cannot hold the energy: the rank is the smallest.
    const LowRankFit less = fit(a, m, n, FitTarget::fixedRank(k - 1));
    CHECK(less.energy < 1 - 1e-6);
    CHECK(fit(a, m, n, FitTarget::relError(1e-5)).rank == k);
  }
}

TEST_CASE("singular values and errors match a known spectrum", "[lowrank][fit]") {
  const int m = 256, n = 192;
  std::vector<double> s;
  for (int i = 0; i < 40; ++i)
    s.push_back(10 * std::pow(0.8, i));
  const std::vector<float> a = withSpectrum(m, n, s, 3);
  double total = 0;
  for (double e : s)
    total += e * e;
  for (int r : {1, 5, 12, 20}) {
    INFO("rank " << r);
    const LowRankFit f = fit(a, m, n, FitTarget::fixedRank(r));
    CHECK(f.rank == r);
    REQUIRE(f.singular.size() >= size_t(r));
    for (int t = 0; t < r; ++t)
      CHECK(f.singular[size_t(t)] == Approx(s[size_t(t)]).epsilon(1e-5));
    // Eckart-Young: the best rank-r error is the tail of the spectrum.
    double tail = 0;
    for (size_t t = size_t(r); t < s.size(); ++t)
      tail += s[t] * s[t];
    CHECK(f.relFrobError == Approx(std::sqrt(tail / total)).epsilon(1e-4));
    CHECK(f.energy == Approx(1 - tail / total).epsilon(1e-6));
  }
  // The energy target picks the smallest rank the spectrum allows.
  for (double target : {0.9, 0.99, 0.9999}) {
    int expect = 0;
    double kept = 0;
    for (; kept < target * total; ++expect)
      kept += s[size_t(expect)] * s[size_t(expect)];
    INFO("energy " << target);
    CHECK(fit(a, m, n, FitTarget::energy(target)).rank == expect);
  }
}

TEST_CASE("energy, error and rank targets on a 1024 x 1024 Swin-like table", "[lowrank][fit]") {
  const int grid = 32, N = grid * grid;
  const std::vector<float> a = swinLikeBias(grid, grid, 0, 1);
  REQUIRE(a.size() == size_t(N) * N);

  const LowRankFit e = fit(a, N, N, FitTarget::energy(0.995));
  std::printf("swin-like 1024 x 1024, head 0: rank %d at energy 0.995 (got %.5f, rel err %.4f, "
              "max abs %.4f, sketch %d)\n",
              e.rank, e.energy, e.relFrobError, e.maxAbsError, e.sketchRank);
  CHECK(e.energy >= 0.995);
  CHECK(e.rank <= 96);
  CHECK(fit(a, N, N, FitTarget::fixedRank(e.rank - 1)).energy < 0.995);
  const auto [rel, maxAbs] = compare(a, applyLowRank(e));
  CHECK(rel == Approx(e.relFrobError).epsilon(1e-4));
  CHECK(maxAbs == Approx(e.maxAbsError).epsilon(1e-3));
  CHECK(e.energy == Approx(1 - rel * rel).epsilon(1e-6));

  const LowRankFit err = fit(a, N, N, FitTarget::relError(0.02));
  CHECK(err.relFrobError <= 0.02);
  CHECK(err.rank > e.rank); // 0.02 error is energy 0.9996 > 0.995
  CHECK(fit(a, N, N, FitTarget::fixedRank(err.rank - 1)).relFrobError > 0.02);

  const LowRankFit r = fit(a, N, N, FitTarget::fixedRank(10));
  CHECK(r.rank == 10);
  CHECK(r.energy < e.energy);

  // Other heads draw other tables, also far below full rank.
  for (int head = 1; head < 4; ++head) {
    const LowRankFit h = fit(swinLikeBias(grid, grid, head, 1), N, N, FitTarget::energy(0.995));
    std::printf("swin-like 1024 x 1024, head %d: rank %d at energy 0.995\n", head, h.rank);
    CHECK(h.rank <= 128);
  }
}

TEST_CASE("the swin-like generator is a deterministic relative-position table", "[lowrank][fit]") {
  const int gh = 6, gw = 9, N = gh * gw;
  const std::vector<float> a = swinLikeBias(gh, gw, 2, 5);
  REQUIRE(a.size() == size_t(N) * N);
  CHECK(a == swinLikeBias(gh, gw, 2, 5));
  CHECK(a != swinLikeBias(gh, gw, 3, 5));
  CHECK(a != swinLikeBias(gh, gw, 2, 6));
  // Equal 2-D offsets read the same entry of T.
  auto at = [&](int yi, int xi, int yj, int xj) {
    return a[size_t(yi * gw + xi) * N + size_t(yj * gw + xj)];
  };
  CHECK(at(0, 0, 1, 2) == at(3, 4, 4, 6));
  CHECK(at(5, 8, 0, 0) == at(5, 8, 0, 0));
  CHECK(at(2, 1, 4, 7) == at(3, 2, 5, 8));
  CHECK(at(2, 1, 4, 7) != at(2, 1, 4, 6));
  float amax = 0;
  for (float v : a)
    amax = std::max(amax, std::fabs(v));
  CHECK(amax > 1);
  CHECK(amax < 15);
  CHECK(swinLikeBias(0, 4, 0, 1).empty());
}

TEST_CASE("an all-zero table fits with zero factors", "[lowrank][fit]") {
  const std::vector<float> zero(size_t(40) * 30, 0.f);
  const LowRankFit e = fit(zero, 40, 30, FitTarget::energy(0.9));
  CHECK(e.rank == 1);
  CHECK(e.relFrobError == 0);
  CHECK(e.energy == 1);
  const LowRankFit r = fit(zero, 40, 30, FitTarget::fixedRank(4));
  CHECK(r.rank == 4);
  CHECK(std::all_of(r.u.begin(), r.u.end(), [](float v) { return v == 0; }));
}

TEST_CASE("a rank above the table's gets zero columns", "[lowrank][fit]") {
  const std::vector<float> a = randomRankK(50, 40, 3, 9);
  const LowRankFit f = fit(a, 50, 40, FitTarget::fixedRank(6));
  CHECK(f.rank == 6);
  CHECK(f.relFrobError < 1e-6);
  CHECK(f.singular.size() >= 6);
  CHECK(f.singular[3] < 1e-4 * f.singular[0]);
}

TEST_CASE("fitLowRank rejects bad input and reports a missed target", "[lowrank][fit]") {
  const std::vector<float> a = randomRankK(64, 48, 5, 2);
  auto expectError = [&](const float *data, int m, int n, const FitTarget &t,
                         const std::string &needle) {
    auto f = fitLowRank(data, m, n, t);
    REQUIRE_FALSE(f);
    INFO(f.message());
    CHECK(f.message().find(needle) != std::string::npos);
  };
  expectError(a.data(), 0, 48, FitTarget::energy(0.9), "both dimensions must be positive");
  expectError(a.data(), 64, -1, FitTarget::energy(0.9), "both dimensions must be positive");
  expectError(nullptr, 64, 48, FitTarget::energy(0.9), "null");
  std::vector<float> bad = a;
  bad[size_t(3) * 48 + 7] = std::numeric_limits<float>::quiet_NaN();
  expectError(bad.data(), 64, 48, FitTarget::energy(0.9), "entry [3][7] is nan");
  bad[size_t(3) * 48 + 7] = std::numeric_limits<float>::infinity();
  expectError(bad.data(), 64, 48, FitTarget::energy(0.9), "entry [3][7] is inf");
  expectError(a.data(), 64, 48, FitTarget::energy(0), "outside (0, 1]");
  expectError(a.data(), 64, 48, FitTarget::energy(1.5), "outside (0, 1]");
  expectError(a.data(), 64, 48, FitTarget::energy(std::nan("")), "outside (0, 1]");
  expectError(a.data(), 64, 48, FitTarget::relError(1), "outside [0, 1)");
  expectError(a.data(), 64, 48, FitTarget::relError(-0.1), "outside [0, 1)");
  expectError(a.data(), 64, 48, FitTarget::fixedRank(0), "outside [1, min(rows, cols) = 48]");
  expectError(a.data(), 64, 48, FitTarget::fixedRank(49), "outside [1, min(rows, cols) = 48]");
  FitTarget over = FitTarget::fixedRank(9);
  over.maxRank = 8;
  expectError(a.data(), 64, 48, over, "exceeds max rank 8");
  expectError(a.data(), 64, 48, FitTarget::energy(0.9, -1), "negative");
  // A full-rank Gaussian table cannot hold 99% of its energy in 8 columns.
  const std::vector<float> noise = gaussian(size_t(200) * 200, 4);
  expectError(noise.data(), 200, 200, FitTarget::energy(0.99, 8),
              "energy target 0.99 not reached within max rank 8: rank 8 reaches energy");
  expectError(noise.data(), 200, 200, FitTarget::relError(0.1, 8),
              "relative error target 0.1 not reached within max rank 8");
  // ... but reaches it with enough columns (the whole table at worst).
  const LowRankFit full = fit(noise, 200, 200, FitTarget::energy(0.99, 200));
  CHECK(full.energy >= 0.99);
  CHECK(full.rank > 150);
}

TEST_CASE("attngen_fit_lowrank: the C API's buffers, targets and errors", "[lowrank][fit]") {
  const int m = 120, n = 90, k = 6, maxRank = 10;
  const std::vector<float> a = randomRankK(m, n, k, 21);
  std::vector<float> u(size_t(m) * maxRank, -1.f), v(size_t(n) * maxRank, -1.f);
  std::vector<double> sigma(size_t(maxRank), -1.0);
  attngen_fit_result res;
  REQUIRE(attngen_fit_lowrank(a.data(), m, n, 1 - 1e-6, -1, 0, maxRank, u.data(), v.data(),
                              sigma.data(), &res) == 0);
  CHECK(std::string(res.error).empty());
  REQUIRE(res.rank == k);
  // The same factors as the C++ call, packed [rows][rank] at the buffers' front.
  const LowRankFit f = fit(a, m, n, FitTarget::energy(1 - 1e-6, maxRank));
  CHECK(std::equal(f.u.begin(), f.u.end(), u.begin()));
  CHECK(std::equal(f.v.begin(), f.v.end(), v.begin()));
  CHECK(u[size_t(m) * k] == -1.f); // nothing written past rows * rank
  CHECK(res.rel_frob_error == f.relFrobError);
  CHECK(res.max_abs_error == f.maxAbsError);
  CHECK(res.energy == f.energy);
  CHECK(sigma[0] == Approx(f.singular[0]));
  CHECK(sigma[size_t(maxRank) - 1] < 1e-4 * sigma[0]);

  REQUIRE(attngen_fit_lowrank(a.data(), m, n, -1, -1, 3, maxRank, u.data(), v.data(), nullptr,
                              &res) == 0);
  CHECK(res.rank == 3);
  REQUIRE(attngen_fit_lowrank(a.data(), m, n, -1, 1e-5, 0, maxRank, u.data(), v.data(), nullptr,
                              &res) == 0);
  CHECK(res.rank == k);

  auto fails = [&](double e, double err, int r, int mr, const float *t, const std::string &needle) {
    CHECK(attngen_fit_lowrank(t, m, n, e, err, r, mr, u.data(), v.data(), nullptr, &res) == 1);
    INFO(res.error);
    CHECK(std::string(res.error).find(needle) != std::string::npos);
  };
  fails(0.9, 0.1, 0, maxRank, a.data(), "set exactly one of energy");
  fails(-1, -1, 0, maxRank, a.data(), "set exactly one of energy");
  fails(0.9, -1, 0, 0, a.data(), "max_rank 0 must be >= 1");
  fails(-1, -1, 11, maxRank, a.data(), "rank 11 exceeds max rank 10");
  fails(0.9, -1, 0, maxRank, nullptr, "must not be null");
  fails(0.99999, -1, 0, 3, a.data(), "not reached within max rank 3");
  CHECK(attngen_fit_lowrank(a.data(), m, n, 0.9, -1, 0, maxRank, u.data(), v.data(), nullptr,
                            nullptr) == 1);
}

TEST_CASE("fit time of a 4096 x 4096 Swin-like table", "[lowrank][fit][.perf]") {
  const int grid = 64, N = grid * grid;
  const std::vector<float> a = swinLikeBias(grid, grid, 0, 1);
  const auto t0 = std::chrono::steady_clock::now();
  const LowRankFit f = fit(a, N, N, FitTarget::energy(0.995));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("swin-like 4096 x 4096: rank %d (sketch %d) at energy 0.995 (got %.5f, rel err "
              "%.4f, max abs %.4f) in %.2f s, one thread\n",
              f.rank, f.sketchRank, f.energy, f.relFrobError, f.maxAbsError, s);
  CHECK(f.energy >= 0.995);
}
