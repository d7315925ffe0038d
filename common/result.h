// Result<T>: the value of a fallible call, or an Error describing why it failed.
// Errors that are part of normal operation (a missing mailbox, a full disk) travel as
// values; exceptions are reserved for bugs and start-up failures.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace mail {

enum class ErrorKind {
  NotFound,   // the named thing does not exist
  Exists,     // it already exists
  Invalid,    // bad input from the caller
  Temporary,  // try again later (I/O error, disk full, lock busy)
  Corrupt,    // stored data failed a consistency check
  Denied,     // authentication or permission refused
  OverQuota,  // the account's quota (RFC 9208) would be exceeded: 452 4.2.2, NO [OVERQUOTA]
};

struct Error {
  ErrorKind kind = ErrorKind::Invalid;
  std::string message;
};

inline Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok()
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace mail
