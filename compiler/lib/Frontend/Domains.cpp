//===- Domains.cpp - Per-key value domains -------------------------------===//
#include "Domains.h"

#include <cmath>
#include <limits>

namespace attngen {
namespace frontend {

const std::vector<DType> &dtypeDomain(std::string_view key) {
  static const std::vector<DType> qk = {DType::I4, DType::I8, DType::E4M3,
                                        DType::F16, DType::BF16};
  // INT4 P would lose too much of the softmax; no recipe uses it.
  static const std::vector<DType> pv = {DType::I8, DType::E4M3, DType::F16,
                                        DType::BF16};
  static const std::vector<DType> input = {DType::F16, DType::BF16};
  static const std::vector<DType> output = {DType::F16, DType::BF16,
                                            DType::F32};
  static const std::vector<DType> none;
  if (key == "qk")
    return qk;
  if (key == "pv")
    return pv;
  if (key == "input")
    return input;
  if (key == "output")
    return output;
  return none;
}

const std::vector<Granularity> &granularityDomain(char operand) {
  static const std::vector<Granularity> rows = {
      Granularity::Tensor, Granularity::Block, Granularity::Warp,
      Granularity::Thread, Granularity::Token};
  // V's scale must be constant along the PV reduction axis (tokens) to be
  // factored out of the matmul: only per-channel or per-tensor scales are.
  static const std::vector<Granularity> v = {Granularity::Channel,
                                             Granularity::Tensor};
  static const std::vector<Granularity> none;
  if (operand == 'q' || operand == 'k')
    return rows;
  if (operand == 'v')
    return v;
  return none;
}

template <class T> static std::string join(const std::vector<T> &domain) {
  std::string s;
  for (size_t i = 0; i < domain.size(); ++i) {
    if (i)
      s += ", ";
    s += toString(domain[i]);
  }
  return s;
}

std::string joinSpellings(const std::vector<DType> &domain) {
  return join(domain);
}
std::string joinSpellings(const std::vector<Granularity> &domain) {
  return join(domain);
}

bool contains(const std::vector<DType> &domain, DType t) {
  for (DType d : domain)
    if (d == t)
      return true;
  return false;
}

bool contains(const std::vector<Granularity> &domain, Granularity g) {
  for (Granularity d : domain)
    if (d == g)
      return true;
  return false;
}

std::string checkHeadDim(long long d) {
  if (d <= 0 || d > kMaxHeadDim || d % kHeadDimMultiple != 0)
    return "head_dim must be a positive multiple of " +
           std::to_string(kHeadDimMultiple) + " up to " +
           std::to_string(kMaxHeadDim) + ", not " + std::to_string(d);
  return "";
}

std::string checkGqa(long long g) {
  if (g < 1)
    return "gqa must be at least 1, not " + std::to_string(g);
  return "";
}

std::string checkScale(double s) {
  if (!std::isfinite(s) || !(s > 0))
    return "scale must be a finite number greater than 0";
  return "";
}

std::string checkWindowSide(long long n, std::string_view side) {
  if (n < -1 || n > std::numeric_limits<int>::max())
    return "window " + std::string(side) + " must be -1 (unbounded) or a key count >= 0, got " +
           std::to_string(n);
  return "";
}

std::string checkWindowMask(int right, MaskKind mask) {
  // Causal already bounds the right side at the diagonal; a wider right
  // side would contradict it and -1 would be a second spelling of 0.
  if (mask == MaskKind::Causal && right != 0)
    return "with mask = causal the window's right side must be 0, got " + std::to_string(right);
  return "";
}

std::string checkSoftcap(double c) {
  if (!std::isfinite(c) || !(c > 0))
    return "softcap must be a finite number greater than 0";
  return "";
}

std::string checkBiasRank(long long r) {
  if (r < 1 || r > kMaxBiasRank)
    return "the bias rank must be in [1, " + std::to_string(kMaxBiasRank) + "], got " +
           std::to_string(r);
  return "";
}

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool isIdentChar(char c) { return isIdentStart(c) || (c >= '0' && c <= '9'); }

std::string checkName(std::string_view name) {
  bool ok = !name.empty() && isIdentStart(name[0]);
  for (char c : name)
    ok = ok && isIdentChar(c);
  if (!ok)
    return "variant name '" + std::string(name) +
           "' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)";
  return "";
}

} // namespace frontend
} // namespace attngen
