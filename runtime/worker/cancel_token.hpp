#pragma once

// Cancellation of one running task, shared by the thread that runs it and
// the threads that may cancel it (WebSocket command, heartbeat answer,
// shutdown). Cancelling kills the attached process group and wakes sleeps.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <sys/types.h>

namespace rxon::runtime {

class cancel_token {
public:
  /// Cancels once; later calls do nothing. `reason` is kept for logs and
  /// for the error a cancelled task reports.
  void cancel(std::string reason);
  bool cancelled() const;
  std::string reason() const;

  /// Sleeps up to `d`; returns false when cancelled before or during it.
  bool sleep_for(std::chrono::milliseconds d);

  /// Attaches a process group to kill on cancel. Returns false (and kills
  /// the group) when the token is already cancelled.
  bool attach(pid_t pgid);
  /// Detaches the group; call before reaping its leader so a reused pid is
  /// never signalled.
  void detach();

private:
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  std::string reason_;
  pid_t pgid_ = 0;
};

} // namespace rxon::runtime
