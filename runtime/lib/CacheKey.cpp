//===- CacheKey.cpp - What identifies a compiled kernel -------------------===//

#include "attngen/runtime/CacheKey.h"

#include "attngen/Codegen/EmitCuda.h"
#include "attngen/runtime/CudaApi.h"
#include "attngen/runtime/Nvrtc.h"
#include "attngen/runtime/Sha256.h"
#include "attngen/runtime/TemplateBundle.h"

#include <cstdint>

namespace attngen {

namespace {
void field(Sha256 &h, std::string_view name, std::string_view value) {
  uint64_t sizes[2] = {name.size(), value.size()};
  h.update(sizes, sizeof(sizes));
  h.update(name);
  h.update(value);
}
} // namespace

std::string computeCacheKey(const CacheKeyInputs &in) {
  Sha256 h;
  // Bumped when the key's layout or the cached payload's meaning changes.
  field(h, "attngen-cache-key", "1");
  field(h, "source", in.source);
  field(h, "templates", in.bundleHash);
  field(h, "target", in.target);
  field(h, "nvrtc", in.nvrtcVersion);
  field(h, "generator", in.generatorVersion);
  field(h, "options", std::to_string(in.options.size()));
  for (const auto &o : in.options)
    field(h, "option", o);
  return Sha256::hex(h.finish());
}

Expected<CacheKeyInputs> cacheKeyInputs(const std::string &source, const NvrtcOptions &opts) {
  auto version = nvrtcVersionString();
  if (!version)
    return version.error();
  CacheKeyInputs in;
  in.source = source;
  in.bundleHash = templateBundleHash();
  in.target = opts.target.name();
  in.nvrtcVersion = *version;
  in.generatorVersion = generatorVersion();
  in.options = nvrtcOptionList(opts);
  return in;
}

} // namespace attngen
