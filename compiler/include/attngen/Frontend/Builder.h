//===- Builder.h - A fluent C++ way to describe a variant -------*- C++ -*-===//
//
//   Variant v = VariantBuilder("sage").qk(DType::I8).pv(DType::E4M3)
//                   .causal().headDim(128).gqa(4).build();
//
// Setters take any value; validate() applies the same per-key domain checks
// as the DSL parser and returns a diagnostic (without a source position) for
// each value out of its domain.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_FRONTEND_BUILDER_H
#define ATTNGEN_FRONTEND_BUILDER_H

#include "attngen/Frontend/Diagnostic.h"
#include "attngen/Spec/Variant.h"

#include <optional>
#include <string>
#include <vector>

namespace attngen {

/// The DSL's per-key domain checks applied to a whole variant: name is an
/// identifier, each dtype / granularity is one its key allows, head_dim is a
/// positive multiple of 16 up to 256, gqa >= 1, scale (if set) > 0 and
/// finite. One diagnostic per bad field (file "<builder>", no position).
std::vector<Diagnostic> validateVariant(const Variant &v);

class VariantBuilder {
public:
  explicit VariantBuilder(std::string name = "default") {
    v.name = std::move(name);
  }

  VariantBuilder &name(std::string n) {
    v.name = std::move(n);
    return *this;
  }
  VariantBuilder &qk(DType t) {
    v.qk = t;
    return *this;
  }
  VariantBuilder &pv(DType t) {
    v.pv = t;
    return *this;
  }
  VariantBuilder &qGranularity(Granularity g) {
    v.q_granularity = g;
    return *this;
  }
  VariantBuilder &kGranularity(Granularity g) {
    v.k_granularity = g;
    return *this;
  }
  VariantBuilder &vGranularity(Granularity g) {
    v.v_granularity = g;
    return *this;
  }
  /// Sets all three smoothing flags (the DSL's `smooth = ...` list).
  VariantBuilder &smooth(bool q, bool k, bool v_) {
    v.smooth_q = q;
    v.smooth_k = k;
    v.smooth_v = v_;
    return *this;
  }
  VariantBuilder &smoothQ(bool on = true) {
    v.smooth_q = on;
    return *this;
  }
  VariantBuilder &smoothK(bool on = true) {
    v.smooth_k = on;
    return *this;
  }
  /// Exact Q/K channel balancing (Variant::balance).
  VariantBuilder &balance(bool on = true) {
    v.balance = on;
    return *this;
  }
  VariantBuilder &smoothV(bool on = true) {
    v.smooth_v = on;
    return *this;
  }
  VariantBuilder &mask(MaskKind m) {
    v.mask = m;
    return *this;
  }
  VariantBuilder &causal() { return mask(MaskKind::Causal); }
  /// Sliding window (Variant::window_left / window_right; -1 unbounded).
  VariantBuilder &window(int left, int right) {
    v.window_left = left;
    v.window_right = right;
    return *this;
  }
  /// Logit soft cap (0: none).
  VariantBuilder &softcap(double cap) {
    v.softcap = cap;
    return *this;
  }
  VariantBuilder &bias(BiasKind b) {
    v.bias = b;
    v.bias_rank = 0;
    return *this;
  }
  /// bias = lowrank(R): scores += qb kb^T from factors given at launch.
  VariantBuilder &lowRankBias(int rank) {
    v.bias = BiasKind::LowRank;
    v.bias_rank = rank;
    return *this;
  }
  VariantBuilder &headDim(int d) {
    v.head_dim = d;
    return *this;
  }
  VariantBuilder &layout(Layout l) {
    v.layout = l;
    return *this;
  }
  VariantBuilder &gqa(int groups) {
    v.gqa = groups;
    return *this;
  }
  VariantBuilder &input(DType t) {
    v.input = t;
    return *this;
  }
  VariantBuilder &output(DType t) {
    v.output = t;
    return *this;
  }
  VariantBuilder &lse(bool on = true) {
    v.lse = on;
    return *this;
  }
  VariantBuilder &scale(double s) {
    v.scale = s;
    return *this;
  }
  /// Back to 1/sqrt(head_dim).
  VariantBuilder &defaultScale() {
    v.scale.reset();
    return *this;
  }

  /// validateVariant of the variant built so far.
  std::vector<Diagnostic> validate() const { return validateVariant(v); }
  /// The variant as set, unchecked (call validate() for the domain checks).
  Variant build() const { return v; }
  /// The variant if it validates; otherwise nullopt and the diagnostics.
  std::optional<Variant> build(std::vector<Diagnostic> &diagnostics) const;

private:
  Variant v;
};

} // namespace attngen

#endif // ATTNGEN_FRONTEND_BUILDER_H
