//===- FitCommand.cpp - attngen fit-bias: a bias table -> low-rank factors ===//
//
// FlashBias (issue 4): reads a float32 bias table (.npy, or raw .bin with
// --rows/--cols) or generates the synthetic Swin-like one (--swin HxW), fits
// qb kb^T to it at an energy, error or rank target (reference/LowRank.h),
// prints the rank and the exact errors, and writes PREFIX.qb.npy /
// PREFIX.kb.npy for the `bias = lowrank(R)` variants.
//
//===----------------------------------------------------------------------===//
#include "Cli.h"

#include "attngen/reference/LowRank.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace attngen::cli {

namespace {

/// A float32 array of one or two dimensions in C order.
struct NpyArray {
  std::vector<long long> shape;
  std::vector<float> data;
};

/// The .npy header's dictionary value of `key` (the text up to the next
/// top-level comma or the closing brace), "" when absent.
std::string npyField(const std::string &header, const std::string &key) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return "";
  at = header.find(':', at);
  if (at == std::string::npos)
    return "";
  size_t end = at + 1;
  int depth = 0;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' && depth == 0) || c == '}')
      break;
  }
  std::string v = header.substr(at + 1, end - at - 1);
  v.erase(0, v.find_first_not_of(" "));
  v.erase(v.find_last_not_of(" ") + 1);
  return v;
}

bool littleEndianHost() {
  const uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

/// Reads a .npy file (format 1.0-3.0) holding a little-endian float32 array
/// of 1 or 2 dimensions in C order.
Expected<NpyArray> readNpy(const std::string &path) {
  auto bytes = readFile(path);
  if (!bytes)
    return bytes.error();
  const std::string &s = *bytes;
  if (s.size() < 10 || s.compare(0, 6, "\x93NUMPY") != 0)
    return Error{fmt::format("'{}' is not a .npy file (no \\x93NUMPY magic)", path)};
  const int major = static_cast<unsigned char>(s[6]);
  size_t headerLen = 0, start = 0;
  if (major == 1) {
    headerLen = size_t(static_cast<unsigned char>(s[8])) | size_t(static_cast<unsigned char>(s[9]))
                                                               << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (s.size() < 12)
      return Error{fmt::format("'{}': truncated .npy header", path)};
    for (int b = 0; b < 4; ++b)
      headerLen |= size_t(static_cast<unsigned char>(s[size_t(8 + b)])) << (8 * b);
    start = 12;
  } else {
    return Error{fmt::format("'{}': unsupported .npy format version {}", path, major)};
  }
  if (s.size() < start + headerLen)
    return Error{fmt::format("'{}': truncated .npy header", path)};
  const std::string header = s.substr(start, headerLen);
  const std::string descr = npyField(header, "descr");
  if (descr != "'<f4'" && !(descr == "'=f4'" && littleEndianHost()))
    return Error{fmt::format("'{}': dtype {} is not float32 ('<f4'); convert with "
                             "a.astype(numpy.float32)",
                             path, descr.empty() ? "?" : descr)};
  if (npyField(header, "fortran_order") != "False")
    return Error{fmt::format("'{}': Fortran order; save numpy.ascontiguousarray(a)", path)};
  const std::string shape = npyField(header, "shape");
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')')
    return Error{fmt::format("'{}': cannot read the shape '{}'", path, shape)};
  NpyArray a;
  size_t pos = 1;
  while (pos < shape.size() - 1) {
    const size_t comma = std::min(shape.find(',', pos), shape.size() - 1);
    std::string item = shape.substr(pos, comma - pos);
    item.erase(0, item.find_first_not_of(" "));
    item.erase(item.find_last_not_of(" ") + 1);
    if (!item.empty()) {
      char *end = nullptr;
      const long long d = std::strtoll(item.c_str(), &end, 10);
      if (*end != '\0' || d < 0)
        return Error{fmt::format("'{}': bad dimension '{}' in shape {}", path, item, shape)};
      a.shape.push_back(d);
    }
    pos = comma + 1;
  }
  if (a.shape.empty() || a.shape.size() > 2)
    return Error{fmt::format("'{}': shape {} has {} dimensions; fit-bias reads 1 or 2", path, shape,
                             a.shape.size())};
  long long count = 1;
  for (long long d : a.shape) {
    if (d > (1ll << 40) / std::max(count, 1ll))
      return Error{fmt::format("'{}': shape {} is too large", path, shape)};
    count *= d;
  }
  const size_t data = start + headerLen;
  if (s.size() - data < size_t(count) * 4)
    return Error{fmt::format("'{}': {} bytes of data, the shape {} needs {}", path, s.size() - data,
                             shape, count * 4)};
  a.data.resize(size_t(count));
  std::memcpy(a.data.data(), s.data() + data, size_t(count) * 4);
  return a;
}

/// A .npy (format 1.0) float32 [rows][cols] array in C order.
std::string npyBytes(const std::vector<float> &data, long long rows, long long cols) {
  std::string header =
      fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", rows, cols);
  // The header ends in a newline and pads the data start to 64 bytes.
  const size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char *>(data.data()), data.size() * sizeof(float));
  return out;
}

Expected<double> parseDouble(const Args &args, const std::string &key) {
  const std::string text = args.get(key);
  char *end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    return Error{fmt::format("option --{} expects a number, got '{}'", key, text)};
  return v;
}

struct Table {
  std::string what;
  int rows = 0, cols = 0;
  std::vector<float> data;
};

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The table of the command line; `usageError` tells a usage error from a
/// file that cannot be read.
Expected<Table> loadTable(const Args &args, bool &usageError) {
  usageError = true;
  auto rows = args.getInt("rows", 0), cols = args.getInt("cols", 0);
  if (!rows || !cols)
    return !rows ? rows.error() : cols.error();
  if (*rows < 0 || *cols < 0 || *rows > INT32_MAX || *cols > INT32_MAX)
    return Error{fmt::format("--rows {} / --cols {}: dimensions are positive ints", *rows, *cols)};
  Table t;
  if (args.has("swin")) {
    if (!args.positional().empty())
      return Error{"fit-bias takes a table file or --swin HxW, not both"};
    if (args.has("rows") || args.has("cols"))
      return Error{"--rows / --cols go with a table file; --swin HxW gives (H*W) x (H*W)"};
    const std::string g = args.get("swin");
    const size_t x = g.find('x');
    int gh = 0, gw = 0;
    char *end = nullptr;
    if (x != std::string::npos) {
      gh = int(std::strtol(g.substr(0, x).c_str(), &end, 10));
      const bool okH = *end == '\0' && x > 0;
      gw = int(std::strtol(g.substr(x + 1).c_str(), &end, 10));
      if (!okH || *end != '\0' || x + 1 == g.size())
        gh = 0;
    }
    if (gh <= 0 || gw <= 0 || gh > 128 || gw > 128 || gh * gw > 8192)
      return Error{fmt::format("--swin '{}': expected HxW, 1 <= H, W <= 128, H*W <= 8192", g)};
    auto head = args.getInt("head", 0), seed = args.getInt("seed", 1);
    if (!head || !seed)
      return !head ? head.error() : seed.error();
    t.rows = t.cols = gh * gw;
    t.data = ref::swinLikeBias(gh, gw, int(*head), uint64_t(*seed));
    t.what =
        fmt::format("synthetic Swin-like bias, grid {}x{}, head {}, seed {}", gh, gw, *head, *seed);
    return t;
  }
  if (args.has("head") || args.has("seed"))
    return Error{"--head / --seed go with --swin HxW"};
  if (args.positional().size() != 1)
    return Error{"fit-bias needs one table file (.npy or raw float32 .bin) or --swin HxW"};
  const std::string path = args.positional()[0];
  if (endsWith(path, ".npy")) {
    usageError = false;
    auto a = readNpy(path);
    if (!a)
      return a.error();
    usageError = true;
    const long long count = (long long)a->data.size();
    if (a->shape.size() == 2) {
      if ((*rows && *rows != a->shape[0]) || (*cols && *cols != a->shape[1]))
        return Error{fmt::format("'{}' is {} x {}, not --rows {} --cols {}", path, a->shape[0],
                                 a->shape[1], *rows, *cols)};
      if (a->shape[0] > INT32_MAX || a->shape[1] > INT32_MAX)
        return Error{fmt::format("'{}' is too large", path)};
      t.rows = int(a->shape[0]), t.cols = int(a->shape[1]);
    } else {
      if (!*rows || !*cols || *rows * *cols != count)
        return Error{fmt::format("'{}' is 1-D with {} floats: give --rows and --cols whose "
                                 "product is that",
                                 path, count)};
      t.rows = int(*rows), t.cols = int(*cols);
    }
    t.data = std::move(a->data);
  } else {
    if (!*rows || !*cols)
      return Error{fmt::format("'{}' is read as raw float32: give --rows and --cols", path)};
    usageError = false;
    auto bytes = readFile(path);
    if (!bytes)
      return bytes.error();
    const size_t want = size_t(*rows) * size_t(*cols) * sizeof(float);
    if (bytes->size() != want)
      return Error{fmt::format("'{}' has {} bytes; {} x {} float32 is {}", path, bytes->size(),
                               *rows, *cols, want)};
    t.rows = int(*rows), t.cols = int(*cols);
    t.data.resize(size_t(*rows) * size_t(*cols));
    std::memcpy(t.data.data(), bytes->data(), want);
  }
  t.what = path;
  return t;
}

} // namespace

int cmdFitBias(int argc, char **argv) {
  auto args = Args::parse(argc, argv,
                          {"rows", "cols", "energy", "error", "rank", "max-rank", "out", "swin",
                           "head", "seed", "save-table"},
                          {});
  if (!args)
    return usage(args.message());
  const int targets = int(args->has("energy")) + int(args->has("error")) + int(args->has("rank"));
  if (targets > 1)
    return usage("give one of --energy, --error and --rank");
  ref::FitTarget target = ref::FitTarget::energy(0.995);
  std::string targetText = "energy >= 0.995 (default)";
  if (args->has("energy") || args->has("error")) {
    const bool energy = args->has("energy");
    auto v = parseDouble(*args, energy ? "energy" : "error");
    if (!v)
      return usage(v.message());
    if (energy && !(*v > 0 && *v <= 1))
      return usage(fmt::format("--energy {}: the captured fraction is in (0, 1]", *v));
    if (!energy && !(*v >= 0 && *v < 1))
      return usage(fmt::format("--error {}: the relative Frobenius error is in [0, 1)", *v));
    target = energy ? ref::FitTarget::energy(*v) : ref::FitTarget::relError(*v);
    targetText = fmt::format("{} {}", energy ? "energy >=" : "relative error <=", *v);
  }
  if (args->has("rank")) {
    auto r = args->getInt("rank", 0);
    if (!r)
      return usage(r.message());
    if (*r < 1 || *r > INT32_MAX)
      return usage(fmt::format("--rank {}: a rank is at least 1", *r));
    target = ref::FitTarget::fixedRank(int(*r));
    targetText = fmt::format("rank {}", *r);
  }
  auto maxRank = args->getInt("max-rank", 0);
  if (!maxRank)
    return usage(maxRank.message());
  if (*maxRank < 0 || *maxRank > INT32_MAX)
    return usage(fmt::format("--max-rank {}: 0 (default) or a positive rank", *maxRank));
  target.maxRank = int(*maxRank);

  bool usageError = true;
  auto table = loadTable(*args, usageError);
  if (!table)
    return usageError ? usage(table.message()) : fail(table.message());
  const int full = std::min(table->rows, table->cols);
  if (target.kind == ref::FitTarget::Kind::Rank && target.rank > full)
    return usage(fmt::format("--rank {} exceeds min(rows, cols) = {}", target.rank, full));
  if (target.kind == ref::FitTarget::Kind::Rank && target.maxRank > 0 &&
      target.rank > target.maxRank)
    return usage(fmt::format("--rank {} exceeds --max-rank {}", target.rank, target.maxRank));
  if (args->has("save-table")) {
    const std::string path = args->get("save-table");
    if (!writeFile(path, npyBytes(table->data, table->rows, table->cols)))
      return fail(fmt::format("cannot write '{}'", path));
  }

  fmt::print("table      {}: {} x {}\n", table->what, table->rows, table->cols);
  fmt::print("target     {}, max rank {}\n", targetText,
             target.maxRank > 0 ? std::min(target.maxRank, full)
                                : std::min(full, ref::kDefaultMaxRank));
  const auto t0 = std::chrono::steady_clock::now();
  auto fit = ref::fitLowRank(table->data.data(), table->rows, table->cols, target);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!fit)
    return fail(fit.message());
  fmt::print("rank       {} (sketch {})\n", fit->rank, fit->sketchRank);
  fmt::print("energy     {:.6f}\n", fit->energy);
  fmt::print("rel error  {:.4e} (Frobenius, exact from the float factors)\n", fit->relFrobError);
  fmt::print("max abs    {:.4e}\n", fit->maxAbsError);
  std::string sigma;
  for (size_t t = 0; t < std::min<size_t>(fit->singular.size(), 8); ++t)
    sigma += fmt::format(" {:.4g}", fit->singular[t]);
  fmt::print("sigma     {}{}\n", sigma, fit->singular.size() > 8 ? " ..." : "");
  fmt::print("time       {:.3f} s (one thread)\n", seconds);
  if (args->has("out")) {
    const std::string prefix = args->get("out");
    const std::string qb = prefix + ".qb.npy", kb = prefix + ".kb.npy";
    if (!writeFile(qb, npyBytes(fit->u, table->rows, fit->rank)) ||
        !writeFile(kb, npyBytes(fit->v, table->cols, fit->rank)))
      return fail(fmt::format("cannot write '{}' / '{}'", qb, kb));
    fmt::print("wrote      {} [{} x {}], {} [{} x {}]\n", qb, table->rows, fit->rank, kb,
               table->cols, fit->rank);
  }
  return kOk;
}

} // namespace attngen::cli
