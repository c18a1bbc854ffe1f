#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace rxon {

/// What went wrong, coarse enough to pick an HTTP status or a retry policy.
enum class errc : uint8_t {
  invalid_json = 1,  ///< Not JSON, or not UTF-8.
  missing_field,     ///< A required field is absent (or null).
  wrong_type,        ///< A field has the wrong JSON type.
  invalid_value,     ///< Right type, unacceptable value (identifier, enum).
  out_of_range,      ///< A number beyond 64 bits, a string beyond limits.
  too_deep,          ///< Nesting beyond the reference's depth limit (100).
  invalid_signature, ///< HMAC signature missing, stale or wrong.
  network,           ///< Connect, read, write or timeout failures.
  auth,              ///< Missing, bad or expired credentials (HTTP 401).
  forbidden,         ///< Authenticated but acting outside its rights (403).
  protocol,          ///< The peer answered outside the protocol.
  rate_limit,        ///< Too many requests (429); see error::retry_after.
  not_found,         ///< No such job, task or worker.
  conflict,          ///< The request contradicts the current state.
  unavailable,       ///< Draining, initialising or storage unavailable.
  timeout,           ///< A deadline passed.
  internal,          ///< A bug or an unexpected failure.
};

/// Returns the stable lowercase name of a code, e.g. "missing_field".
const char* to_string(errc code) noexcept;

/// An error value: a code, a human-readable message naming the problem
/// (for decode errors it starts with the field path, e.g.
/// `supported_skills[1].name: missing`), and optional details.
struct error {
  errc code = errc::internal;
  std::string message;
  /// For rate_limit: seconds the peer asked us to wait (Retry-After).
  std::optional<double> retry_after;
  /// The HTTP status that carried the error, when there was one.
  std::optional<int> http_status;
  /// An RXON error code such as "LIMIT_EXCEEDED_ERROR", when known.
  std::string detail_code;

  error() = default;
  error(errc c, std::string msg) : code(c), message(std::move(msg)) {}
};

/// Either a T or an error. Errors are values; nothing here throws.
template <class T>
class [[nodiscard]] result {
public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(rxon::error err) : v_(std::in_place_index<1>, std::move(err)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const rxon::error& error() const& { return std::get<1>(v_); }
  rxon::error&& error() && { return std::get<1>(std::move(v_)); }

private:
  std::variant<T, rxon::error> v_;
};

/// A result without a value: success, or an error.
template <>
class [[nodiscard]] result<void> {
public:
  result() = default;
  result(rxon::error err) : err_(std::move(err)) {}

  bool has_value() const noexcept { return !err_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  const rxon::error& error() const& { return *err_; }

private:
  std::optional<rxon::error> err_;
};

using status = result<void>;

} // namespace rxon
