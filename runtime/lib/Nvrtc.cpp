//===- Nvrtc.cpp - CUDA C++ -> cubin + PTX with NVRTC ---------------------===//

#include "attngen/runtime/Nvrtc.h"

#include "attngen/runtime/CudaApi.h"
#include "attngen/runtime/Stats.h"
#include "attngen/runtime/TemplateBundle.h"

#include <fmt/format.h>

#include <chrono>
#include <regex>
#include <sstream>

namespace attngen {

std::vector<std::string> nvrtcOptionList(const NvrtcOptions &opts) {
  std::vector<std::string> list = {
      "--gpu-architecture=" + opts.target.name(),
      "-std=c++17",
      "-default-device",
      // fma contraction only; no --use_fast_math (see the file comment).
      "--fmad=true",
  };
  if (opts.lineInfo)
    list.push_back("-lineinfo");
  list.insert(list.end(), opts.extra.begin(), opts.extra.end());
  return list;
}

std::string annotateNvrtcLog(const std::string &log, const std::string &source,
                             const std::string &name) {
  std::vector<std::string> lines;
  {
    std::istringstream in(source);
    for (std::string l; std::getline(in, l);)
      lines.push_back(l);
  }
  // NVRTC reports `name(123): error: ...`; warnings are left unannotated so
  // that the errors stand out.
  const std::regex located("^(.*)\\((\\d+)\\): (catastrophic )?error.*$");
  std::string out;
  std::istringstream in(log);
  for (std::string l; std::getline(in, l);) {
    out += l + "\n";
    std::smatch m;
    if (!std::regex_match(l, m, located) || m[1].str() != name)
      continue;
    long line = std::stol(m[2].str());
    long first = std::max(1L, line - 3);
    long last = std::min<long>(long(lines.size()), line + 3);
    for (long i = first; i <= last; ++i)
      out += fmt::format("  {} {:5} | {}\n", i == line ? '>' : ' ', i, lines[i - 1]);
  }
  return out;
}

Expected<CompiledCuda> compileCuda(const std::string &source, const NvrtcOptions &opts,
                                   const std::string &name) {
  auto apiOr = nvrtcApi();
  if (!apiOr)
    return apiOr.error();
  const NvrtcApi &api = **apiOr;

  int count = 0;
  const EmbeddedHeader *headers = templateHeaders(&count);
  std::vector<const char *> headerSources, headerNames;
  for (int i = 0; i < count; ++i) {
    headerSources.push_back(headers[i].source);
    headerNames.push_back(headers[i].name);
  }

  nvrtcProgram prog = nullptr;
  nvrtcResult r = api.createProgram(&prog, source.c_str(), name.c_str(), count,
                                    headerSources.data(), headerNames.data());
  if (r != NVRTC_SUCCESS)
    return Error{"nvrtcCreateProgram failed: " + nvrtcErrorText(api, r)};
  // The program is destroyed on every path out of here.
  struct Guard {
    const NvrtcApi &api;
    nvrtcProgram &prog;
    ~Guard() { api.destroyProgram(&prog); }
  } guard{api, prog};

  std::vector<std::string> options = nvrtcOptionList(opts);
  std::vector<const char *> optionPtrs;
  for (const auto &o : options)
    optionPtrs.push_back(o.c_str());

  auto start = std::chrono::steady_clock::now();
  nvrtcResult compiled = api.compileProgram(prog, int(optionPtrs.size()), optionPtrs.data());
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
          .count();
  stats::recordCompile(ms);

  CompiledCuda out;
  size_t logSize = 0;
  if (api.getProgramLogSize(prog, &logSize) == NVRTC_SUCCESS && logSize > 1) {
    out.log.resize(logSize);
    api.getProgramLog(prog, out.log.data());
    out.log.resize(logSize - 1); // drop the terminating NUL
  }
  if (compiled != NVRTC_SUCCESS) {
    std::string optionText;
    for (const auto &o : options)
      optionText += " " + o;
    return Error{fmt::format("NVRTC failed to compile {} ({}; options:{}):\n{}", name,
                             nvrtcErrorText(api, compiled), optionText,
                             annotateNvrtcLog(out.log, source, name))};
  }

  size_t size = 0;
  if ((r = api.getCUBINSize(prog, &size)) != NVRTC_SUCCESS || size == 0)
    return Error{"nvrtcGetCUBINSize failed (is the target a real architecture?): " +
                 nvrtcErrorText(api, r)};
  out.cubin.resize(size);
  if ((r = api.getCUBIN(prog, out.cubin.data())) != NVRTC_SUCCESS)
    return Error{"nvrtcGetCUBIN failed: " + nvrtcErrorText(api, r)};
  if ((r = api.getPTXSize(prog, &size)) != NVRTC_SUCCESS)
    return Error{"nvrtcGetPTXSize failed: " + nvrtcErrorText(api, r)};
  out.ptx.resize(size);
  if ((r = api.getPTX(prog, out.ptx.data())) != NVRTC_SUCCESS)
    return Error{"nvrtcGetPTX failed: " + nvrtcErrorText(api, r)};
  if (!out.ptx.empty() && out.ptx.back() == '\0')
    out.ptx.pop_back();
  return out;
}

} // namespace attngen
