//===- LowRank.h - Low-rank fitting of a dense bias table -------*- C++ -*-===//
//
// FlashBias (issue 4): a dense additive bias A [rows x cols] is replaced by
// factors qb [rows x R], kb [cols x R] with qb kb^T ~ A, which the kernel
// variant `bias = lowrank(R)` adds to the scores. fitLowRank picks R for a
// requested energy, relative error or fixed rank by a blocked randomized
// truncated SVD (range finder with power iterations, grown 16 columns at a
// time), and reports the error of the factors it returns, computed exactly.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_REFERENCE_LOWRANK_H
#define ATTNGEN_REFERENCE_LOWRANK_H

#include "attngen/runtime/Error.h"

#include <cstdint>
#include <vector>

namespace attngen::ref {

/// What fitLowRank aims for: the smallest rank that captures `value` of
/// ||A||_F^2 (Energy, in (0, 1]), the smallest rank whose relative Frobenius
/// error is at most `value` (RelError, in [0, 1)), or exactly `rank` columns.
struct FitTarget {
  enum class Kind { Energy, RelError, Rank };
  Kind kind = Kind::Energy;
  double value = 0.995;
  int rank = 0;
  /// Upper bound on the returned rank; 0: min(rows, cols, kDefaultMaxRank).
  int maxRank = 0;
  /// Power iterations per block (2 separates a slowly decaying spectrum well
  /// enough that the chosen rank is the optimal one on the Swin-like tables).
  int powerIterations = 2;
  /// Seed of the Gaussian test matrices (the fit is deterministic).
  uint64_t seed = 1;

  static FitTarget energy(double e, int maxRank = 0);
  static FitTarget relError(double e, int maxRank = 0);
  static FitTarget fixedRank(int r);
};

/// A sketch larger than this is a sign that the table is not low-rank; the
/// dense eigen-solve of the sketch grows as its cube.
inline constexpr int kDefaultMaxRank = 512;

/// Float storage of the factors alone leaves a relative Frobenius error of
/// this order: an error target below it (0 included) is read as this floor,
/// and an energy target above 1 - floor^2 likewise.
inline constexpr double kFitRoundingFloor = 1e-6;

struct LowRankFit {
  int rank = 0;
  /// Row-major u [rows][rank], v [cols][rank]: column t of u is the left
  /// singular vector times sqrt(sigma_t), of v the right one times
  /// sqrt(sigma_t), so u v^T is the truncated SVD and both factors keep the
  /// same magnitude (sqrt of the table's scale), which suits bf16/fp16.
  std::vector<float> u, v;
  /// Exact, from the float factors: 1 - relFrobError^2, ||A - u v^T||_F /
  /// ||A||_F and max |A - u v^T| (1, 0 and 0 for an all-zero table, whose
  /// factors are zero columns: rank 1, or the fixed rank).
  double energy = 0, relFrobError = 0, maxAbsError = 0;
  /// Leading singular values of A as estimated by the sketch, descending
  /// (at least `rank` of them, sketchRank in all).
  std::vector<double> singular;
  /// Columns of the randomized range basis the fit was chosen from.
  int sketchRank = 0;
};

/// Fits A (row-major rows x cols floats). Errors: a non-positive dimension,
/// a NaN or Inf entry, a target out of range, and a target not reached within
/// the max rank (the message says what that rank reached).
Expected<LowRankFit> fitLowRank(const float *a, int rows, int cols, const FitTarget &target);

/// u v^T as a row-major [rows][cols] table (the exact reconstruction).
std::vector<float> applyLowRank(const LowRankFit &fit);

/// The closed form of a squared-distance bias, -weight * |x_i - y_j|^2 for
/// d-dimensional coordinates x [nq][d] (queries) and y [nk][d] (keys): exact
/// factors of rank d + 2, qb_i = (-w |x_i|^2, -w, 2w x_i) and kb_j = (1,
/// |y_j|^2, y_j), so qb_i . kb_j is the bias (bias = lowrank(d + 2)). The
/// terms cancel to the distance, so in 16-bit factors the bias carries an
/// absolute error of about w max|x|^2 2^-8 (bf16): center and scale the
/// coordinates. Returns qb [nq][d+2] and kb [nk][d+2].
struct DistanceFactors {
  std::vector<float> qb, kb;
  int rank = 0;
};
DistanceFactors distanceFactors(const float *x, int nq, const float *y, int nk, int d,
                                double weight);

/// A synthetic Swin-like relative-position bias: the [N][N] table (N =
/// gridH * gridW, tokens in row-major grid order) with bias[i][j] =
/// T[dy + gridH - 1][dx + gridW - 1], (dy, dx) the 2-D offset from token j to
/// token i. T is a smooth random table, not a trained one: a mild slope, a
/// few Gaussian bumps of a few units (one near offset 0, as learned tables
/// peak there) and noise of 0.02, deterministic from (head, seed).
std::vector<float> swinLikeBias(int gridH, int gridW, int head, uint64_t seed);

} // namespace attngen::ref

#endif // ATTNGEN_REFERENCE_LOWRANK_H
