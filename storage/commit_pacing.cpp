#include "storage/commit_pacing.hpp"

namespace rxon::storage {

namespace {

/// Recent behaviour counts: both sums halve once they span this long, so
/// a change of load shows within a few horizons.
constexpr auto horizon = std::chrono::milliseconds(50);

} // namespace

void commit_pacing::idled(duration d) noexcept {
  idle_ += d;
  decay();
}

void commit_pacing::committed(duration d) noexcept {
  busy_ += d;
  decay();
}

void commit_pacing::decay() noexcept {
  if (busy_ + idle_ > horizon) {
    busy_ /= 2;
    idle_ /= 2;
  }
}

} // namespace rxon::storage
