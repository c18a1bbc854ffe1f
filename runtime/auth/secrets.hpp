#pragma once

// Small cryptographic helpers for credentials: random tokens, plus the
// hash and constant-time comparison of protocol/signing.hpp.

#include "protocol/signing.hpp"

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

using rxon::constant_time_equal;
using rxon::sha256_hex;

} // namespace rxon::runtime
