//===- Metrics.cpp - Error metrics ----------------------------------------===//
#include "attngen/reference/Metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace attngen::ref {

std::string ErrorMetrics::str() const {
  return fmt::format("cos={:.7f} relL1={:.3e} rmse={:.3e} maxAbs={:.3e} nonfinite={} n={}",
                     cosine, relL1, rmse, maxAbs, nonFinite, count);
}

ErrorMetrics compare(const float *out, const float *ref, size_t n) {
  ErrorMetrics m;
  m.count = n;
  double dot = 0, oo = 0, rr = 0, absErr = 0, absRef = 0, sq = 0, maxAbs = 0;
  size_t finite = 0;
  for (size_t i = 0; i < n; ++i) {
    const double o = out[i], r = ref[i];
    if (!std::isfinite(o) || !std::isfinite(r)) {
      if (!(std::isinf(o) && o == r))
        ++m.nonFinite;
      continue;
    }
    ++finite;
    dot += o * r;
    oo += o * o;
    rr += r * r;
    const double e = std::abs(o - r);
    absErr += e;
    absRef += std::abs(r);
    sq += e * e;
    maxAbs = std::max(maxAbs, e);
  }
  if (oo == 0 && rr == 0)
    m.cosine = 1;
  else if (oo == 0 || rr == 0)
    m.cosine = 0;
  else
    m.cosine = dot / std::sqrt(oo * rr);
  if (absRef > 0)
    m.relL1 = absErr / absRef;
  else
    m.relL1 = absErr == 0 ? 0 : std::numeric_limits<double>::infinity();
  m.rmse = finite ? std::sqrt(sq / double(finite)) : 0;
  m.refRms = finite ? std::sqrt(rr / double(finite)) : 0;
  m.maxAbs = maxAbs;
  return m;
}

ErrorMetrics compare(const std::vector<float> &out, const std::vector<float> &ref) {
  if (out.size() != ref.size()) {
    // Sizes that disagree are an error of the caller: report every element.
    ErrorMetrics m;
    m.count = std::max(out.size(), ref.size());
    m.nonFinite = m.count;
    m.cosine = 0;
    m.relL1 = m.rmse = m.maxAbs = std::numeric_limits<double>::infinity();
    return m;
  }
  return compare(out.data(), ref.data(), out.size());
}

} // namespace attngen::ref
