#pragma once

// The listener's own Prometheus counters: requests by route and status, and
// connections. Lock-free: one atomic per (route, status).

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace rxon::runtime {

enum class route_id : uint8_t {
  unknown,
  worker_register,
  worker_poll,
  worker_result,
  worker_heartbeat,
  worker_event,
  worker_sts_token,
  worker_sts_refresh,
  worker_ws,
  jobs_submit,
  task_submit,
  job_get,
  task_get,
  jobs_list,
  job_cancel,
  task_cancel,
  workers,
  holarchy,
  metrics,
  health,
  ready,
};
inline constexpr std::size_t route_count = 21;

const char* to_string(route_id r) noexcept;

class listener_metrics {
public:
  void count_request(route_id route, int status) noexcept;
  void connection_opened() noexcept;
  void connection_closed() noexcept;
  void connection_rejected() noexcept;
  void ws_frame_received() noexcept;
  void ws_command_sent() noexcept;

  int64_t open_connections() const noexcept { return open_.load(); }
  uint64_t requests(route_id route, int status) const noexcept;

  /// Appends the Prometheus text exposition.
  void render(std::string& out) const;

private:
  static constexpr int min_status = 100;
  static constexpr int status_span = 500; // 100..599
  std::array<std::array<std::atomic<uint64_t>, status_span>, route_count>
      requests_{};
  std::atomic<int64_t> open_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> ws_in_{0};
  std::atomic<uint64_t> ws_out_{0};
};

} // namespace rxon::runtime
