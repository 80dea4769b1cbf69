//===- Plan.cpp - Targets, kernel roles and mainloop spellings -----------===//
#include "attngen/Spec/Plan.h"

#include <charconv>

namespace attngen {

std::string Target::name() const {
  // The 'a' feature set only exists (and is only meaningful to NVRTC) for
  // sm_90; a default-constructed Target{89} must still name sm_89.
  std::string s = "sm_" + std::to_string(sm);
  if (archSpecific && sm == 90)
    s += 'a';
  return s;
}

std::optional<Target> Target::parse(std::string_view s) {
  if (s.substr(0, 3) != "sm_")
    return std::nullopt;
  s.remove_prefix(3);
  bool archSpecific = false;
  if (!s.empty() && s.back() == 'a') {
    archSpecific = true;
    s.remove_suffix(1);
  }
  int sm = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), sm);
  if (ec != std::errc() || end != s.data() + s.size())
    return std::nullopt;
  // The targets the templates are written for; sm_90a is the only
  // arch-specific one (wgmma, setmaxnreg).
  bool known = sm == 80 || sm == 86 || sm == 89 || sm == 90;
  if (!known || (archSpecific && sm != 90))
    return std::nullopt;
  Target t;
  t.sm = sm;
  t.archSpecific = archSpecific;
  return t;
}

const KernelDesc *KernelPlan::find(KernelRole role) const {
  for (const KernelDesc &k : kernels)
    if (k.role == role)
      return &k;
  return nullptr;
}

std::string_view toString(Mainloop m) {
  switch (m) {
  case Mainloop::MmaSync:
    return "mma_sync";
  case Mainloop::Wgmma:
    return "wgmma";
  }
  return "?";
}

std::string_view toString(KernelRole r) {
  switch (r) {
  case KernelRole::KVStats:
    return "kv_stats";
  case KernelRole::QuantKV:
    return "quant_kv";
  case KernelRole::QuantQ:
    return "quant_q";
  case KernelRole::Attention:
    return "attention";
  }
  return "?";
}

std::optional<Mainloop> parseMainloop(std::string_view s) {
  for (Mainloop m : {Mainloop::MmaSync, Mainloop::Wgmma})
    if (s == toString(m))
      return m;
  return std::nullopt;
}

std::optional<KernelRole> parseKernelRole(std::string_view s) {
  for (KernelRole r : {KernelRole::KVStats, KernelRole::QuantKV,
                       KernelRole::QuantQ, KernelRole::Attention})
    if (s == toString(r))
      return r;
  return std::nullopt;
}

} // namespace attngen
