//===- Variant.cpp - Variant spellings, equality and defaults ------------===//
//
// The spellings here are shared by the DSL, the IR attributes, the plan JSON
// and the CLI; each enum has exactly one canonical spelling (toString) and
// parse accepts that spelling plus a few documented aliases.
//
//===----------------------------------------------------------------------===//
#include "attngen/Spec/Variant.h"

#include <cmath>

namespace attngen {

double Variant::effectiveScale() const {
  if (scale)
    return *scale;
  return 1.0 / std::sqrt(static_cast<double>(head_dim));
}

bool Variant::operator==(const Variant &o) const {
  return name == o.name && qk == o.qk && pv == o.pv &&
         q_granularity == o.q_granularity && k_granularity == o.k_granularity &&
         v_granularity == o.v_granularity && smooth_q == o.smooth_q &&
         smooth_k == o.smooth_k && smooth_v == o.smooth_v && balance == o.balance &&
         mask == o.mask && window_left == o.window_left &&
         window_right == o.window_right && softcap == o.softcap && bias == o.bias &&
         bias_rank == o.bias_rank &&
         head_dim == o.head_dim && layout == o.layout && gqa == o.gqa &&
         input == o.input && output == o.output && lse == o.lse &&
         scale == o.scale;
}

std::string_view toString(DType t) {
  switch (t) {
  case DType::I4:
    return "int4";
  case DType::I8:
    return "int8";
  case DType::E4M3:
    return "fp8";
  case DType::F16:
    return "fp16";
  case DType::BF16:
    return "bf16";
  case DType::F32:
    return "fp32";
  }
  return "?";
}

std::string_view toString(Granularity g) {
  switch (g) {
  case Granularity::Tensor:
    return "tensor";
  case Granularity::Block:
    return "block";
  case Granularity::Warp:
    return "warp";
  case Granularity::Thread:
    return "thread";
  case Granularity::Token:
    return "token";
  case Granularity::Channel:
    return "channel";
  }
  return "?";
}

std::string_view toString(MaskKind m) {
  switch (m) {
  case MaskKind::None:
    return "none";
  case MaskKind::Causal:
    return "causal";
  }
  return "?";
}

std::string_view toString(BiasKind b) {
  switch (b) {
  case BiasKind::None:
    return "none";
  case BiasKind::Alibi:
    return "alibi";
  case BiasKind::LowRank:
    return "lowrank";
  case BiasKind::Dense:
    return "dense";
  }
  return "?";
}

std::string biasSpelling(BiasKind b, int rank) {
  std::string s(toString(b));
  if (b == BiasKind::LowRank)
    s += "(" + std::to_string(rank) + ")";
  return s;
}

std::optional<BiasKind> parseBiasKind(std::string_view s) {
  for (BiasKind b : {BiasKind::None, BiasKind::Alibi, BiasKind::LowRank, BiasKind::Dense})
    if (s == toString(b))
      return b;
  return std::nullopt;
}

double alibiSlope(int h, int heads) {
  int n = 1;
  while (2 * n <= heads)
    n *= 2;
  if (h < n)
    return std::exp2(-8.0 * (h + 1) / n);
  // The heads past n take every other slope of the 2n-head sequence.
  return std::exp2(-8.0 * (2 * (h - n) + 1) / (2 * n));
}

std::string_view toString(Layout l) {
  switch (l) {
  case Layout::BHND:
    return "bhnd";
  case Layout::BNHD:
    return "bnhd";
  }
  return "?";
}

std::optional<DType> parseDType(std::string_view s) {
  for (DType t :
       {DType::I4, DType::I8, DType::E4M3, DType::F16, DType::BF16, DType::F32})
    if (s == toString(t))
      return t;
  // The e4m3 format is the only FP8 format we support, so its full names
  // are accepted as aliases.
  if (s == "e4m3" || s == "fp8e4m3")
    return DType::E4M3;
  return std::nullopt;
}

std::optional<Granularity> parseGranularity(std::string_view s) {
  for (Granularity g :
       {Granularity::Tensor, Granularity::Block, Granularity::Warp,
        Granularity::Thread, Granularity::Token, Granularity::Channel})
    if (s == toString(g))
      return g;
  return std::nullopt;
}

std::optional<MaskKind> parseMaskKind(std::string_view s) {
  for (MaskKind m : {MaskKind::None, MaskKind::Causal})
    if (s == toString(m))
      return m;
  return std::nullopt;
}

std::optional<Layout> parseLayout(std::string_view s) {
  for (Layout l : {Layout::BHND, Layout::BNHD})
    if (s == toString(l))
      return l;
  return std::nullopt;
}

int bitWidth(DType t) {
  switch (t) {
  case DType::I4:
    return 4;
  case DType::I8:
  case DType::E4M3:
    return 8;
  case DType::F16:
  case DType::BF16:
    return 16;
  case DType::F32:
    return 32;
  }
  return 0;
}

bool isInteger(DType t) { return t == DType::I4 || t == DType::I8; }

bool isFloat8(DType t) { return t == DType::E4M3; }

} // namespace attngen
