//===- Printer.cpp - Canonical DSL text of a variant ---------------------===//
#include "attngen/Frontend/Printer.h"

#include <charconv>

namespace attngen {

std::string formatDouble(double d) {
  char buf[64];
  // std::to_chars without a precision gives the shortest round-trip form.
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return ec == std::errc() ? std::string(buf, end) : std::string("nan");
}

static std::string smoothList(const Variant &v) {
  std::string s;
  auto add = [&](bool on, const char *operand) {
    if (!on)
      return;
    if (!s.empty())
      s += ", ";
    s += operand;
  };
  add(v.smooth_q, "q");
  add(v.smooth_k, "k");
  add(v.smooth_v, "v");
  return s.empty() ? "none" : s;
}

std::string printVariant(const Variant &v) {
  std::string out = "variant " + v.name + " {\n";
  auto key = [&](std::string_view k, std::string_view value) {
    out += "  ";
    out += k;
    out += " = ";
    out += value;
    out += ";\n";
  };
  // The order and the set of keys are part of the cache-key contract:
  // change them only with a cache version bump.
  key("qk", toString(v.qk));
  key("pv", toString(v.pv));
  key("granularity q", toString(v.q_granularity));
  key("granularity k", toString(v.k_granularity));
  key("granularity v", toString(v.v_granularity));
  key("smooth", smoothList(v));
  key("balance", v.balance ? "true" : "false");
  key("mask", toString(v.mask));
  // The score modifiers print only when set: every variant without them
  // keeps the text (and so the cache key) it had before they existed.
  if (v.hasWindow())
    key("window",
        "(" + std::to_string(v.window_left) + ", " + std::to_string(v.window_right) + ")");
  if (v.softcap != 0)
    key("softcap", formatDouble(v.softcap));
  if (v.bias != BiasKind::None)
    key("bias", biasSpelling(v.bias, v.bias_rank));
  key("head_dim", std::to_string(v.head_dim));
  key("layout", toString(v.layout));
  key("gqa", std::to_string(v.gqa));
  key("input", toString(v.input));
  key("output", toString(v.output));
  key("lse", v.lse ? "true" : "false");
  key("scale", v.scale ? formatDouble(*v.scale) : "default");
  out += "}\n";
  return out;
}

std::string printVariants(const std::vector<Variant> &variants) {
  std::string out;
  for (size_t i = 0; i < variants.size(); ++i) {
    if (i)
      out += "\n";
    out += printVariant(variants[i]);
  }
  return out;
}

} // namespace attngen
