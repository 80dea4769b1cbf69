//===- DiskCache.cpp - Compiled cubins kept across processes --------------===//

#include "attngen/runtime/DiskCache.h"

#include "attngen/runtime/Sha256.h"
#include "attngen/runtime/Stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace attngen {

namespace {

constexpr char EntryMagic[8] = {'A', 'T', 'T', 'N', 'G', 'E', 'N', 'C'};
constexpr uint32_t EntryFormatVersion = 1;
constexpr size_t HeaderBytes = 8 + 4 + 4 + 8 + 32;
constexpr const char *EntrySuffix = ".cubin";
constexpr const char *LockSuffix = ".lock";

std::string errnoText() { return std::strerror(errno); }

void putLE(std::string &out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(char((v >> (8 * i)) & 0xff));
}
uint64_t getLE(const char *p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= uint64_t(uint8_t(p[i])) << (8 * i);
  return v;
}

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Keys become file names: refuse anything that could leave the directory.
Status checkKey(const std::string &key) {
  if (key.empty() || key.size() > 200 ||
      !std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      }))
    return Error{"invalid cache key '" + key + "' (expected letters, digits, '_', '-')"};
  return Status::ok();
}

Expected<std::string> readFile(const std::string &path, bool &missing) {
  missing = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    missing = errno == ENOENT;
    return Error{fmt::format("cannot open {}: {}", path, errnoText())};
  }
  std::string data;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      std::string why = errnoText();
      ::close(fd);
      return Error{fmt::format("cannot read {}: {}", path, why)};
    }
    if (n == 0)
      break;
    data.append(buf, size_t(n));
  }
  ::close(fd);
  return data;
}

Status writeAll(int fd, const std::string &data, const std::string &path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error{fmt::format("cannot write {}: {}", path, errnoText())};
    done += size_t(n);
  }
  return Status::ok();
}

/// The payload of an entry file, or why it is not a valid entry.
Expected<std::string> decodeEntry(const std::string &file) {
  if (file.size() < HeaderBytes)
    return Error{fmt::format("truncated header ({} bytes)", file.size())};
  if (std::memcmp(file.data(), EntryMagic, sizeof(EntryMagic)) != 0)
    return Error{"bad magic"};
  uint32_t version = uint32_t(getLE(file.data() + 8, 4));
  if (version != EntryFormatVersion)
    return Error{fmt::format("format version {} (expected {})", version, EntryFormatVersion)};
  uint64_t length = getLE(file.data() + 16, 8);
  if (file.size() - HeaderBytes != length)
    return Error{fmt::format("payload length {} but {} bytes follow the header", length,
                             file.size() - HeaderBytes)};
  std::string payload = file.substr(HeaderBytes);
  Sha256::Digest digest = Sha256::digest(payload);
  if (std::memcmp(digest.data(), file.data() + 24, 32) != 0)
    return Error{"payload hash mismatch"};
  return payload;
}

std::string encodeEntry(const std::string &payload) {
  std::string out(EntryMagic, sizeof(EntryMagic));
  putLE(out, EntryFormatVersion, 4);
  putLE(out, 0, 4); // reserved
  putLE(out, payload.size(), 8);
  Sha256::Digest digest = Sha256::digest(payload);
  out.append(reinterpret_cast<const char *>(digest.data()), digest.size());
  out += payload;
  return out;
}

/// An exclusive flock on a file, released on destruction.
class FileLock {
public:
  static Expected<std::unique_ptr<FileLock>> acquire(const std::string &path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return Error{fmt::format("cannot open lock file {}: {}", path, errnoText())};
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        std::string why = errnoText();
        ::close(fd);
        return Error{fmt::format("cannot lock {}: {}", path, why)};
      }
    }
    return std::unique_ptr<FileLock>(new FileLock(fd));
  }
  ~FileLock() {
    ::flock(fd, LOCK_UN);
    ::close(fd);
  }

private:
  explicit FileLock(int fd) : fd(fd) {}
  int fd;
};

} // namespace

Expected<std::string> DiskCache::defaultDirectory() {
  if (const char *d = std::getenv("ATTNGEN_CACHE_DIR"); d && *d)
    return std::string(d);
  if (const char *d = std::getenv("XDG_CACHE_HOME"); d && *d)
    return std::string(d) + "/attngen";
  if (const char *d = std::getenv("HOME"); d && *d)
    return std::string(d) + "/.cache/attngen";
  return Error{"no cache directory: set ATTNGEN_CACHE_DIR, XDG_CACHE_HOME or HOME"};
}

std::string DiskCache::entryPath(const std::string &key) const {
  return dir + "/" + key + EntrySuffix;
}

Status DiskCache::ensureDirectory() const {
  // mkdir -p: create each missing component in turn.
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/')
      continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return Error{fmt::format("cannot create cache directory {}: {}", prefix, errnoText())};
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error{fmt::format("cache path {} is not a directory", dir)};
  return Status::ok();
}

Expected<std::optional<std::string>> DiskCache::lookup(const std::string &key) const {
  if (Status s = checkKey(key); !s)
    return Error{s.message()};
  std::string path = entryPath(key);
  bool missing = false;
  auto file = readFile(path, missing);
  if (!file) {
    if (missing)
      return std::optional<std::string>();
    return file.error();
  }
  auto payload = decodeEntry(*file);
  if (!payload) {
    // A partial write from a crashed writer of an older format, or disk
    // corruption: drop it so that the caller rebuilds it.
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return Error{fmt::format("corrupt cache entry {} ({}) cannot be removed: {}", path,
                               payload.message(), errnoText())};
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::move(*payload));
}

Status DiskCache::store(const std::string &key, const std::string &payload) const {
  if (Status s = checkKey(key); !s)
    return s;
  if (Status s = ensureDirectory(); !s)
    return s;
  static std::atomic<unsigned> counter{0};
  std::string final = entryPath(key);
  std::string temp = fmt::format("{}.tmp.{}.{}", final, ::getpid(), counter++);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return Error{fmt::format("cannot create {}: {}", temp, errnoText())};
  Status written = writeAll(fd, encodeEntry(payload), temp);
  if (written && ::fsync(fd) != 0)
    written = Error{fmt::format("cannot sync {}: {}", temp, errnoText())};
  ::close(fd);
  if (written && ::rename(temp.c_str(), final.c_str()) != 0)
    written = Error{fmt::format("cannot rename {} to {}: {}", temp, final, errnoText())};
  if (!written)
    ::unlink(temp.c_str());
  return written;
}

Expected<std::string> DiskCache::getOrCompile(const std::string &key, const Compile &compile,
                                              bool *hit) const {
  auto found = lookup(key);
  if (!found)
    return found.error();
  if (*found) {
    stats::recordDisk(true);
    if (hit)
      *hit = true;
    return std::move(**found);
  }
  if (Status s = ensureDirectory(); !s)
    return Error{s.message()};
  auto lock = FileLock::acquire(dir + "/" + key + LockSuffix);
  if (!lock)
    return lock.error();
  // Another process may have stored it while this one waited for the lock.
  found = lookup(key);
  if (!found)
    return found.error();
  if (*found) {
    stats::recordDisk(true);
    if (hit)
      *hit = true;
    return std::move(**found);
  }
  stats::recordDisk(false);
  if (hit)
    *hit = false;
  auto payload = compile();
  if (!payload)
    return payload.error();
  if (Status s = store(key, *payload); !s)
    return Error{s.message()};
  return payload;
}

Expected<std::vector<DiskCache::Entry>> DiskCache::list() const {
  std::vector<Entry> entries;
  DIR *d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT)
      return entries;
    return Error{fmt::format("cannot list {}: {}", dir, errnoText())};
  }
  while (struct dirent *e = ::readdir(d)) {
    std::string name = e->d_name;
    if (!endsWith(name, EntrySuffix))
      continue;
    struct stat st;
    if (::stat((dir + "/" + name).c_str(), &st) != 0)
      continue; // removed meanwhile
    entries.push_back(
        {name.substr(0, name.size() - std::strlen(EntrySuffix)), uint64_t(st.st_size),
         st.st_mtime});
  }
  ::closedir(d);
  std::sort(entries.begin(), entries.end(),
            [](const Entry &a, const Entry &b) { return a.key < b.key; });
  return entries;
}

Status DiskCache::clear() const {
  DIR *d = ::opendir(dir.c_str());
  if (!d)
    return errno == ENOENT ? Status::ok()
                           : Status(Error{fmt::format("cannot list {}: {}", dir, errnoText())});
  std::vector<std::string> doomed;
  while (struct dirent *e = ::readdir(d)) {
    std::string name = e->d_name;
    if (endsWith(name, EntrySuffix) || endsWith(name, LockSuffix) ||
        name.find(std::string(EntrySuffix) + ".tmp.") != std::string::npos)
      doomed.push_back(dir + "/" + name);
  }
  ::closedir(d);
  for (const auto &path : doomed)
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return Error{fmt::format("cannot remove {}: {}", path, errnoText())};
  return Status::ok();
}

} // namespace attngen
