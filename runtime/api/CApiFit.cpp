//===- CApiFit.cpp - The C API of low-rank bias fitting -------------------===//
//
// attngen_fit_lowrank (attngen.h) over reference/LowRank.h. The reason of a
// failure goes into the caller's result struct: attngen_last_error() lives
// in CApi.cpp's translation unit and is not reachable from here.
//
//===----------------------------------------------------------------------===//
#include "attngen/attngen.h"

#include "attngen/reference/LowRank.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>

namespace {

int failFit(attngen_fit_result *result, const std::string &message) {
  if (result)
    std::snprintf(result->error, sizeof result->error, "%s", message.c_str());
  return 1;
}

int fitLowRank(const float *table, int rows, int cols, double energy, double relError, int rank,
               int maxRank, float *uOut, float *vOut, double *singularOut,
               attngen_fit_result *result) {
  using attngen::ref::FitTarget;
  if (!result)
    return 1;
  *result = attngen_fit_result{};
  if (!table || !uOut || !vOut)
    return failFit(result, "attngen_fit_lowrank: table, u_out and v_out must not be null");
  const int targets = int(energy >= 0) + int(relError >= 0) + int(rank > 0);
  if (targets != 1)
    return failFit(result, fmt::format("attngen_fit_lowrank: set exactly one of energy ({}), "
                                       "rel_error ({}) and rank ({}); negative means unset",
                                       energy, relError, rank));
  if (maxRank < 1)
    return failFit(result, fmt::format("attngen_fit_lowrank: max_rank {} must be >= 1 (it "
                                       "sizes u_out and v_out)",
                                       maxRank));
  FitTarget target = rank > 0      ? FitTarget::fixedRank(rank)
                     : energy >= 0 ? FitTarget::energy(energy)
                                   : FitTarget::relError(relError);
  target.maxRank = maxRank;
  auto fit = attngen::ref::fitLowRank(table, rows, cols, target);
  if (!fit)
    return failFit(result, fit.message());
  const size_t r = size_t(fit->rank);
  std::copy(fit->u.begin(), fit->u.end(), uOut);
  std::copy(fit->v.begin(), fit->v.end(), vOut);
  if (singularOut)
    for (size_t t = 0; t < size_t(maxRank); ++t)
      singularOut[t] = t < fit->singular.size() ? fit->singular[t] : 0.0;
  result->rank = int(r);
  result->sketch_rank = fit->sketchRank;
  result->energy = fit->energy;
  result->rel_frob_error = fit->relFrobError;
  result->max_abs_error = fit->maxAbsError;
  return 0;
}

} // namespace

extern "C" int attngen_fit_lowrank(const float *table, int rows, int cols, double energy,
                                   double rel_error, int rank, int max_rank, float *u_out,
                                   float *v_out, double *singular_out, attngen_fit_result *result) {
  // An exception (std::bad_alloc on a huge table) must not unwind into C.
  try {
    return fitLowRank(table, rows, cols, energy, rel_error, rank, max_rank, u_out, v_out,
                      singular_out, result);
  } catch (const std::exception &e) {
    return failFit(result, fmt::format("attngen_fit_lowrank: {}", e.what()));
  } catch (...) {
    return failFit(result, "attngen_fit_lowrank: unknown exception");
  }
}
