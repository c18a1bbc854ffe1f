#pragma once

// Small cryptographic helpers for credentials: random tokens, hashes and a
// constant-time comparison (OpenSSL underneath).

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace rxon::runtime {

/// Wall clock, injectable so tests can move time.
using wall_clock = std::function<std::chrono::system_clock::time_point()>;
/// Monotonic clock, injectable so tests can move time.
using mono_clock = std::function<std::chrono::steady_clock::time_point()>;

inline wall_clock system_wall_clock() {
  return [] { return std::chrono::system_clock::now(); };
}
inline mono_clock system_mono_clock() {
  return [] { return std::chrono::steady_clock::now(); };
}

/// `bytes` random bytes from the OpenSSL CSPRNG, URL-safe base64 without
/// padding (as Python's secrets.token_urlsafe).
std::string random_token(std::size_t bytes = 32);

/// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Compares in time independent of where the strings differ.
bool equal_constant_time(std::string_view x, std::string_view y) noexcept;

} // namespace rxon::runtime
