//===- Domains.h - Per-key value domains shared by parser and builder ----===//
//
// What each DSL key accepts, independent of any target. The parser and
// validateVariant both use these so the DSL and the C++ builder agree.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_LIB_FRONTEND_DOMAINS_H
#define ATTNGEN_LIB_FRONTEND_DOMAINS_H

#include "attngen/Spec/Variant.h"

#include <string>
#include <string_view>
#include <vector>

namespace attngen {
namespace frontend {

/// Largest head dim any template instantiates.
constexpr int kMaxHeadDim = 256;
/// Head dims are multiples of the mma k-step of 16-bit operands.
constexpr int kHeadDimMultiple = 16;

/// The dtypes `key` (qk, pv, input or output) accepts.
const std::vector<DType> &dtypeDomain(std::string_view key);
/// The granularities `granularity <operand>` accepts (operand q, k or v).
const std::vector<Granularity> &granularityDomain(char operand);

/// "int4, int8, fp8" from a domain.
std::string joinSpellings(const std::vector<DType> &domain);
std::string joinSpellings(const std::vector<Granularity> &domain);

bool contains(const std::vector<DType> &domain, DType t);
bool contains(const std::vector<Granularity> &domain, Granularity g);

/// Each returns an empty string when the value is in its domain, else the
/// reason it is not.
std::string checkHeadDim(long long d);
std::string checkGqa(long long g);
std::string checkScale(double s);
/// One side of a sliding window: -1 (unbounded) or a key count >= 0.
std::string checkWindowSide(long long n, std::string_view side);
/// A window against the mask: causal fixes the right side at 0.
std::string checkWindowMask(int right, MaskKind mask);
std::string checkSoftcap(double c);
/// The rank of bias = lowrank(R): 1..kMaxBiasRank.
std::string checkBiasRank(long long r);
std::string checkName(std::string_view name);

bool isIdentStart(char c);
bool isIdentChar(char c);

} // namespace frontend
} // namespace attngen

#endif // ATTNGEN_LIB_FRONTEND_DOMAINS_H
