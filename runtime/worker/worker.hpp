#pragma once

// The `rxon worker` process logic: registration, heartbeats, the
// WebSocket command channel, long polling with up to N tasks in flight,
// result posting, re-registration after orchestrator restarts, and a clean
// drain on stop().
//
// Threads: the caller's (poll loop, in run()), one heartbeat thread, N
// executor threads, and the transport's io thread (command callbacks).

#include "runtime/transport/blocking_transport.hpp"
#include "runtime/worker/cancel_token.hpp"
#include "runtime/worker/worker_options.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace rxon::runtime {

class worker {
public:
  worker(worker_options opts, blocking_transport& transport);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// Runs until stop(), then drains. Returns the process exit code: 0
  /// after a clean stop, 1 when the first registration is refused.
  int run();

  /// Stops polling; in-flight tasks finish within the grace period, the
  /// rest are killed and returned as TRANSIENT_ERROR. Thread-safe.
  void stop();

private:
  struct task_entry {
    std::shared_ptr<cancel_token> cancel;
    bool by_orchestrator = false; ///< cancelled by the orchestrator
    bool started = false;
  };
  using clock = std::chrono::steady_clock;

  worker_registration registration() const;
  /// One registration attempt; serialised. Returns the error, if any.
  status register_once();
  /// Registers with capped backoff until it works or stop(); false when
  /// stopped (or `fatal` is set by a refused first registration).
  bool register_until_done(bool first, bool& fatal);
  void poll_loop();
  void heartbeat_loop();
  void executor_loop();
  void on_command(const worker_command& cmd);
  void cancel(const std::string& task_id, bool by_orchestrator,
              const std::string& reason);
  void post_result(const task_result& res);
  /// Sleeps the current backoff (interrupted by stop) and doubles it.
  void backoff_wait(std::chrono::milliseconds& delay);
  void drain();

  worker_options opts_;
  blocking_transport& transport_;

  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool hb_stop_ = false;
  bool need_register_ = true;
  std::deque<task_payload> queue_;
  std::unordered_map<std::string, task_entry> tasks_; ///< queued + running
  std::set<std::string> hot_; ///< task types this worker has run
  std::mutex register_mtx_;
  std::thread heartbeat_;
  std::vector<std::thread> executors_;
};

} // namespace rxon::runtime
