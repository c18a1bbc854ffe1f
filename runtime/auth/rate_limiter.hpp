#pragma once

// Token buckets per (worker, message type). Unlike the incumbent's sliding
// INCR/EXPIRE window, a bucket refills continuously, so a throttled worker
// is told exactly when to come back (Retry-After).

#include "runtime/auth/secrets.hpp"

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rxon::runtime {

enum class message_kind : uint8_t {
  register_worker,
  poll,
  result,
  heartbeat,
  event,
  sts,
  websocket,
};
inline constexpr std::size_t message_kind_count = 7;

struct rate_limit {
  double per_second = 1000; ///< refill rate
  double burst = 2000;      ///< bucket size
};

struct rate_limit_options {
  bool enabled = true;
  /// Generous defaults: a benchmark worker doing ~1.5k tasks/s is not
  /// throttled; a runaway loop of several thousand requests/s is.
  std::array<rate_limit, message_kind_count> limits{{
      {100, 200},    // register
      {5000, 10000}, // poll
      {5000, 10000}, // result
      {200, 400},    // heartbeat
      {5000, 10000}, // event
      {50, 100},     // sts
      {20, 40},      // websocket
  }};
  /// Buckets kept before idle (full) ones are dropped.
  std::size_t max_workers = 100000;
};

class rate_limiter {
public:
  explicit rate_limiter(rate_limit_options opts = {},
                        mono_clock clock = system_mono_clock());

  /// Takes one token. nullopt: allowed; otherwise the seconds to wait.
  std::optional<double> acquire(std::string_view worker_id, message_kind kind);

  rate_limit_options& options() noexcept { return opts_; }

private:
  struct bucket {
    double tokens = -1; ///< < 0: not used yet (full)
    std::chrono::steady_clock::time_point last{};
  };
  using buckets = std::array<bucket, message_kind_count>;

  void sweep_locked(std::chrono::steady_clock::time_point now);

  rate_limit_options opts_;
  mono_clock clock_;
  std::mutex mu_;
  std::unordered_map<std::string, buckets> workers_;
};

} // namespace rxon::runtime
