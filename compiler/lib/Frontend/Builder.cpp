//===- Builder.cpp - Domain checks of a built variant --------------------===//
#include "attngen/Frontend/Builder.h"

#include "Domains.h"

namespace attngen {

using namespace frontend;

std::vector<Diagnostic> validateVariant(const Variant &v) {
  std::vector<Diagnostic> diags;
  auto report = [&](std::string message, std::string hint) {
    Diagnostic d;
    d.file = "<builder>";
    d.message = std::move(message);
    d.hint = std::move(hint);
    diags.push_back(std::move(d));
  };
  if (std::string e = checkName(v.name); !e.empty())
    report(e, "");
  auto dtype = [&](std::string_view key, DType t) {
    const std::vector<DType> &domain = dtypeDomain(key);
    if (!contains(domain, t))
      report(std::string(key) + " cannot be " + std::string(toString(t)),
             "allowed: " + joinSpellings(domain));
  };
  dtype("qk", v.qk);
  dtype("pv", v.pv);
  auto granularity = [&](char operand, Granularity g) {
    const std::vector<Granularity> &domain = granularityDomain(operand);
    if (!contains(domain, g))
      report(std::string("granularity ") + operand + " cannot be " +
                 std::string(toString(g)),
             "allowed: " + joinSpellings(domain));
  };
  granularity('q', v.q_granularity);
  granularity('k', v.k_granularity);
  granularity('v', v.v_granularity);
  if (std::string e = checkHeadDim(v.head_dim); !e.empty())
    report(e, "");
  if (std::string e = checkGqa(v.gqa); !e.empty())
    report(e, "");
  dtype("input", v.input);
  dtype("output", v.output);
  if (v.scale)
    if (std::string e = checkScale(*v.scale); !e.empty())
      report(e, "leave it unset for 1/sqrt(head_dim)");
  if (std::string e = checkWindowSide(v.window_left, "left"); !e.empty())
    report(e, "");
  if (std::string e = checkWindowSide(v.window_right, "right"); !e.empty())
    report(e, "");
  if (v.hasWindow())
    if (std::string e = checkWindowMask(v.window_right, v.mask); !e.empty())
      report(e, "write window = (left, 0), or mask = none for a two-sided window");
  if (v.bias == BiasKind::LowRank) {
    if (std::string e = checkBiasRank(v.bias_rank); !e.empty())
      report(e, "lowRankBias(R) sets it");
  } else if (v.bias_rank != 0) {
    report("bias_rank is " + std::to_string(v.bias_rank) + " but the bias is " +
               std::string(toString(v.bias)),
           "a rank belongs to bias = lowrank only");
  }
  // 0 is the builder's "none"; anything else must be a real cap.
  if (v.softcap != 0)
    if (std::string e = checkSoftcap(v.softcap); !e.empty())
      report(e, "leave it 0 for no cap");
  return diags;
}

std::optional<Variant>
VariantBuilder::build(std::vector<Diagnostic> &diagnostics) const {
  diagnostics = validate();
  if (!diagnostics.empty())
    return std::nullopt;
  return v;
}

} // namespace attngen
