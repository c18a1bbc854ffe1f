#pragma once

// Bounded waiting for a condition, shared by every test helper.

#include <chrono>
#include <functional>
#include <thread>

namespace rxon::test {

/// Polls `pred` every couple of milliseconds until it holds (true) or
/// `limit` passes (false).
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds limit
                       = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

} // namespace rxon::test
