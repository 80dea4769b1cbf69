//===- Sass.cpp - Disassembly and resource usage of a cubin ---------------===//

#include "attngen/runtime/Sass.h"

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <unistd.h>

namespace attngen {

namespace fs = std::filesystem;

static bool executable(const fs::path &p) { return ::access(p.c_str(), X_OK) == 0; }

Expected<std::string> findCuobjdump() {
  if (const char *env = std::getenv("ATTNGEN_CUOBJDUMP")) {
    if (executable(env))
      return std::string(env);
    return Error{fmt::format("ATTNGEN_CUOBJDUMP='{}' is not an executable", env)};
  }
  if (const char *path = std::getenv("PATH")) {
    std::stringstream ss(path);
    for (std::string dir; std::getline(ss, dir, ':');)
      if (!dir.empty() && executable(fs::path(dir) / "cuobjdump"))
        return (fs::path(dir) / "cuobjdump").string();
  }
  std::vector<fs::path> candidates = {"/usr/local/cuda/bin/cuobjdump"};
  if (const char *src = std::getenv("ATTNGEN_SOURCE_DIR"))
    candidates.push_back(fs::path(src) / ".deps/py/nvidia/cu13/bin/cuobjdump");
#ifdef ATTNGEN_SOURCE_DIR_DEFAULT
  candidates.push_back(fs::path(ATTNGEN_SOURCE_DIR_DEFAULT) / ".deps/py/nvidia/cu13/bin/cuobjdump");
#endif
  for (const fs::path &p : candidates)
    if (executable(p))
      return p.string();
  return Error{"cuobjdump not found: install the CUDA toolkit's cuobjdump or "
               "`pip install nvidia-cuda-cuobjdump` (make deps does), or set ATTNGEN_CUOBJDUMP"};
}

static Expected<std::string> runCapture(const std::string &cmd) {
  std::string out;
  FILE *p = ::popen(cmd.c_str(), "r");
  if (!p)
    return Error{fmt::format("cannot run '{}'", cmd)};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    out.append(buf.data(), n);
  int rc = ::pclose(p);
  if (rc != 0)
    return Error{fmt::format("'{}' failed (status {}):\n{}", cmd, rc, out)};
  return out;
}

int KernelSass::count(const std::string &opcode) const {
  auto it = opcodeCounts.find(opcode);
  return it == opcodeCounts.end() ? 0 : it->second;
}

int KernelSass::countPrefix(const std::string &prefix) const {
  int n = 0;
  for (const auto &[op, c] : fullOpcodeCounts)
    if (op.compare(0, prefix.size(), prefix) == 0)
      n += c;
  return n;
}

Expected<std::map<std::string, KernelSass>> disassembleCubin(const std::string &cubin) {
  auto tool = findCuobjdump();
  if (!tool)
    return tool.error();
  char name[] = "/tmp/attngen-sass-XXXXXX";
  int fd = ::mkstemp(name);
  if (fd < 0)
    return Error{"cannot create a temporary file for cuobjdump"};
  ::close(fd);
  {
    std::ofstream f(name, std::ios::binary);
    f << cubin;
  }
  auto sass = runCapture(fmt::format("'{}' -sass '{}' 2>&1", *tool, name));
  auto res = runCapture(fmt::format("'{}' -res-usage '{}' 2>&1", *tool, name));
  ::unlink(name);
  if (!sass)
    return sass.error();
  if (!res)
    return res.error();

  std::map<std::string, KernelSass> out;
  // "        Function : attngen_attention"
  static const std::regex fnRe(R"(^\s*Function\s*:\s*(\S+))");
  // "        /*0040*/                   IMMA.16832.S8.S8 R4, R8.ROW, R12.COL, R4 ;"
  static const std::regex insRe(R"(^\s*/\*[0-9a-f]+\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*))");
  std::string current;
  std::stringstream ss(*sass);
  for (std::string line; std::getline(ss, line);) {
    std::smatch m;
    if (std::regex_search(line, m, fnRe)) {
      current = m[1];
      continue;
    }
    if (current.empty())
      continue;
    KernelSass &k = out[current];
    k.text += line + "\n";
    if (std::regex_search(line, m, insRe)) {
      std::string full = m[1];
      k.fullOpcodeCounts[full]++;
      k.opcodeCounts[full.substr(0, full.find('.'))]++;
    }
  }
  // "Function attngen_attention:\n REG:168 STACK:0 SHARED:0 LOCAL:0 ..."
  static const std::regex resFn(R"(Function\s+(\S+?):)");
  static const std::regex num(R"((REG|STACK|SHARED|LOCAL):(\d+))");
  std::stringstream rs(*res);
  for (std::string line; std::getline(rs, line);) {
    std::smatch m;
    if (std::regex_search(line, m, resFn))
      current = m[1];
    for (auto it = std::sregex_iterator(line.begin(), line.end(), num);
         it != std::sregex_iterator() && !current.empty(); ++it) {
      KernelSass &k = out[current];
      int v = std::stoi((*it)[2]);
      std::string key = (*it)[1];
      (key == "REG" ? k.registers : key == "STACK" ? k.stackBytes
                                  : key == "SHARED" ? k.sharedBytes
                                                    : k.localBytes) = v;
    }
  }
  return out;
}

} // namespace attngen
