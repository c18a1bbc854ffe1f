#include "runtime/worker/cancel_token.hpp"

#include <csignal>

namespace rxon::runtime {

void cancel_token::cancel(std::string reason) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (cancelled_)
      return;
    cancelled_ = true;
    reason_ = std::move(reason);
    if (pgid_ > 0)
      ::killpg(pgid_, SIGKILL);
  }
  cv_.notify_all();
}

bool cancel_token::cancelled() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return cancelled_;
}

std::string cancel_token::reason() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return reason_;
}

bool cancel_token::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock{mtx_};
  return !cv_.wait_for(lock, d, [this] { return cancelled_; });
}

bool cancel_token::attach(pid_t pgid) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (cancelled_) {
    ::killpg(pgid, SIGKILL);
    return false;
  }
  pgid_ = pgid;
  return true;
}

void cancel_token::detach() {
  std::lock_guard<std::mutex> guard{mtx_};
  pgid_ = 0;
}

} // namespace rxon::runtime
