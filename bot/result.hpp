#pragma once
// Result<T>: the expected-failure type used at every module boundary. It copies the
// std::expected API (GCC 12 has <expected> only under -std=c++2b), so switching later is a rename.

#include <string>
#include <utility>
#include <variant>

namespace bb {

enum class ErrorCode {
  InvalidInput,     // the caller sent something malformed (→ 400)
  Unauthorized,     // authentication failed (→ 401/403)
  NotFound,         // (→ 404)
  Conflict,         // uniqueness or state conflict (→ 409)
  TooLarge,         // size limit exceeded (→ 413)
  RateLimited,      // (→ 429)
  Unavailable,      // storage or a dependency is down; retry later (→ 503)
  Upstream,         // a remote API answered with an error
  Internal,         // a bug or an impossible state
};

const char* toString(ErrorCode code);

//! An expected failure. `detail` is for logs and operators and never holds user content.
struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string detail;
};

template <class E>
struct Unexpected {
  E error;
};

inline Unexpected<Error> fail(ErrorCode code, std::string detail = {}) {
  return Unexpected<Error>{Error{code, std::move(detail)}};
}

template <class T>
class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit by design
  Result(Unexpected<Error> e) : v_(std::in_place_index<1>, std::move(e.error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }
  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Unexpected<Error> e) : error_(std::move(e.error)), ok_(false) {}  // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

private:
  Error error_;
  bool ok_ = true;
};

}  // namespace bb
