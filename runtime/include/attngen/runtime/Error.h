//===- Error.h - Errors as returned values ------------------------*- C++ -*-===//
//
// The runtime never aborts: every fallible call returns a Status (an optional
// error) or an Expected<T> (a value or an error). The message carries the
// context (NVRTC log, file path, driver error name) a user needs to act.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_RUNTIME_ERROR_H
#define ATTNGEN_RUNTIME_ERROR_H

#include <string>
#include <utility>
#include <variant>

namespace attngen {

struct Error {
  std::string message;
};

/// Success, or an Error.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error e) : err(std::move(e.message)), failed(true) {}
  static Status ok() { return Status(); }

  explicit operator bool() const { return !failed; } ///< true on success
  bool isOk() const { return !failed; }
  const std::string &message() const { return err; }

private:
  std::string err;
  bool failed = false;
};

/// A T, or an Error.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T v) : storage(std::in_place_index<0>, std::move(v)) {}
  Expected(Error e) : storage(std::in_place_index<1>, std::move(e)) {}

  explicit operator bool() const { return storage.index() == 0; }
  bool isOk() const { return storage.index() == 0; }
  T &value() { return std::get<0>(storage); }
  const T &value() const { return std::get<0>(storage); }
  T &operator*() { return value(); }
  const T &operator*() const { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }
  const std::string &message() const { return std::get<1>(storage).message; }
  Error error() const { return std::get<1>(storage); }
  Status status() const { return isOk() ? Status() : Status(error()); }

private:
  std::variant<T, Error> storage;
};

} // namespace attngen

#endif // ATTNGEN_RUNTIME_ERROR_H
