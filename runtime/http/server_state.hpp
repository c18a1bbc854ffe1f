#pragma once

// State shared by the listener and every session of one server: options,
// auth, limits, the router, and the registry of open connections (for a
// graceful stop and for one WebSocket per worker).

#include "actors/orchestrator_api.hpp"
#include "runtime/http/listener_options.hpp"
#include "runtime/http/router.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace rxon::runtime {

/// A session the server can ask to finish.
class connection {
public:
  virtual ~connection() = default;
  /// Server stopping: finish the request in flight, then close.
  virtual void shutdown() = 0;
  /// WebSocket only: a newer socket took over this worker (close 1008).
  virtual void replace() {}
  /// Grace period over: close the socket now.
  virtual void force_close() = 0;
};

struct server_clocks {
  wall_clock wall = system_wall_clock();
  mono_clock mono = system_mono_clock();
};

class server_state {
public:
  server_state(actors::orchestrator_api& api, listener_options opts,
               server_clocks clocks);

  const listener_options& opts() const noexcept { return opts_; }
  listener_metrics& metrics() noexcept { return metrics_; }
  authenticator& auth() noexcept { return auth_; }
  router& routes() noexcept { return router_; }
  actors::orchestrator_api& api() noexcept { return router_.api(); }

  /// Takes a connection slot; false when the cap is reached.
  bool try_open_connection();
  /// Gives the slot back (wakes wait_idle).
  void close_connection();
  /// Waits until no connection is open or `deadline` passes.
  bool wait_idle(std::chrono::steady_clock::time_point deadline);

  uint64_t add(std::weak_ptr<connection> c);
  void remove(uint64_t id);
  /// Asks every registered connection to shut down (or to close now).
  void shutdown_all(bool force = false);

  /// The io_contexts of the sessions; sessions keep them alive through
  /// their connection_slot, so sockets never outlive them.
  void set_io(std::vector<std::shared_ptr<boost::asio::io_context>> iocs) {
    iocs_ = std::move(iocs);
  }
  /// Runs `post` (which posts onto a session's executor) unless the io threads
  /// are stopped; false then, and the caller drops its work.
  template <class F>
  bool post_if_running(F&& post) {
    std::lock_guard lock{post_mu_};
    if (io_stopped_)
      return false;
    post();
    return true;
  }
  /// No more posts after this (called before the io threads stop).
  void mark_io_stopped() {
    std::lock_guard lock{post_mu_};
    io_stopped_ = true;
  }

  /// Makes `c` the WebSocket of `worker_id`; the previous one is replaced.
  void set_websocket(const std::string& worker_id, uint64_t id,
                     std::weak_ptr<connection> c);
  /// Forgets the WebSocket of `worker_id` if it is still `id`.
  void clear_websocket(const std::string& worker_id, uint64_t id);

private:
  listener_options opts_;
  listener_metrics metrics_;
  authenticator auth_;
  rate_limiter limits_;
  signature_checker signatures_;
  router router_;

  std::vector<std::shared_ptr<boost::asio::io_context>> iocs_;
  std::mutex post_mu_;
  bool io_stopped_ = false;
  std::atomic<int64_t> open_{0};
  std::mutex mu_;
  std::condition_variable idle_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::weak_ptr<connection>> connections_;
  std::unordered_map<std::string,
                     std::pair<uint64_t, std::weak_ptr<connection>>>
      websockets_;
};

/// Holds one connection slot; gives it back when destroyed.
class connection_slot {
public:
  explicit connection_slot(std::shared_ptr<server_state> s)
      : state_(std::move(s)) {}
  connection_slot(connection_slot&&) noexcept = default;
  connection_slot& operator=(connection_slot&&) noexcept = default;
  ~connection_slot() {
    if (state_)
      state_->close_connection();
  }
  server_state& state() const noexcept { return *state_; }
  const std::shared_ptr<server_state>& ptr() const noexcept { return state_; }

private:
  std::shared_ptr<server_state> state_;
};

} // namespace rxon::runtime
