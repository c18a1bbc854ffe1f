#include "runtime/auth/rate_limiter.hpp"

#include <algorithm>
#include <utility>

namespace rxon::runtime {

rate_limiter::rate_limiter(rate_limit_options opts, mono_clock clock)
    : opts_(std::move(opts)), clock_(std::move(clock)) {}

std::optional<double> rate_limiter::acquire(std::string_view worker_id,
                                            message_kind kind) {
  if (!opts_.enabled)
    return std::nullopt;
  const auto& limit = opts_.limits[static_cast<std::size_t>(kind)];
  auto now = clock_();
  std::lock_guard lock{mu_};
  auto it = workers_.find(std::string{worker_id});
  if (it == workers_.end()) {
    if (workers_.size() >= opts_.max_workers)
      sweep_locked(now);
    it = workers_.emplace(std::string{worker_id}, buckets{}).first;
  }
  auto& b = it->second[static_cast<std::size_t>(kind)];
  if (b.tokens < 0) {
    b.tokens = limit.burst;
  } else {
    std::chrono::duration<double> dt = now - b.last;
    b.tokens = std::min(limit.burst, b.tokens + dt.count() * limit.per_second);
  }
  b.last = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  if (limit.per_second <= 0)
    return 3600.0;
  return (1 - b.tokens) / limit.per_second;
}

void rate_limiter::sweep_locked(std::chrono::steady_clock::time_point now) {
  // Drop workers whose buckets would all be full again by now.
  std::erase_if(workers_, [&](const auto& kv) {
    for (std::size_t k = 0; k < message_kind_count; ++k) {
      const auto& b = kv.second[k];
      if (b.tokens < 0)
        continue;
      const auto& l = opts_.limits[k];
      std::chrono::duration<double> dt = now - b.last;
      if (b.tokens + dt.count() * l.per_second < l.burst)
        return false;
    }
    return true;
  });
}

} // namespace rxon::runtime
