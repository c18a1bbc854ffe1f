#include "runtime/http/listener_metrics.hpp"

namespace rxon::runtime {

const char* to_string(route_id r) noexcept {
  static constexpr const char* names[route_count] = {
      "unknown",
      "worker_register",
      "worker_poll",
      "worker_result",
      "worker_heartbeat",
      "worker_event",
      "worker_sts_token",
      "worker_sts_refresh",
      "worker_ws",
      "jobs_submit",
      "task_submit",
      "job_get",
      "task_get",
      "jobs_list",
      "job_cancel",
      "task_cancel",
      "workers",
      "holarchy",
      "metrics",
      "health",
      "ready",
  };
  auto i = static_cast<std::size_t>(r);
  return i < route_count ? names[i] : "unknown";
}

void listener_metrics::count_request(route_id route, int status) noexcept {
  int s = status - min_status;
  if (s < 0 || s >= status_span)
    return;
  requests_[static_cast<std::size_t>(route)][static_cast<std::size_t>(s)]
      .fetch_add(1, std::memory_order_relaxed);
}

void listener_metrics::connection_opened() noexcept {
  open_.fetch_add(1, std::memory_order_relaxed);
  accepted_.fetch_add(1, std::memory_order_relaxed);
}
void listener_metrics::connection_closed() noexcept {
  open_.fetch_sub(1, std::memory_order_relaxed);
}
void listener_metrics::connection_rejected() noexcept {
  rejected_.fetch_add(1, std::memory_order_relaxed);
}
void listener_metrics::ws_frame_received() noexcept {
  ws_in_.fetch_add(1, std::memory_order_relaxed);
}
void listener_metrics::ws_command_sent() noexcept {
  ws_out_.fetch_add(1, std::memory_order_relaxed);
}

uint64_t listener_metrics::requests(route_id route, int status) const noexcept {
  int s = status - min_status;
  if (s < 0 || s >= status_span)
    return 0;
  return requests_[static_cast<std::size_t>(route)][static_cast<std::size_t>(s)]
      .load(std::memory_order_relaxed);
}

void listener_metrics::render(std::string& out) const {
  out += "# HELP rxon_http_requests_total HTTP requests by route and status.\n"
         "# TYPE rxon_http_requests_total counter\n";
  for (std::size_t r = 0; r < route_count; ++r)
    for (int s = 0; s < status_span; ++s) {
      auto n = requests_[r][static_cast<std::size_t>(s)].load(
          std::memory_order_relaxed);
      if (n == 0)
        continue;
      out += "rxon_http_requests_total{route=\"";
      out += to_string(static_cast<route_id>(r));
      out += "\",status=\"" + std::to_string(s + min_status) + "\"} ";
      out += std::to_string(n) + "\n";
    }
  auto line = [&](const char* name, const char* type, const char* help,
                  auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " "
           + type + "\n" + name + " " + std::to_string(value) + "\n";
  };
  line("rxon_http_connections_open", "gauge", "Open connections.",
       open_.load());
  line("rxon_http_connections_accepted_total", "counter",
       "Accepted connections.", accepted_.load());
  line("rxon_http_connections_rejected_total", "counter",
       "Connections refused by the connection cap.", rejected_.load());
  line("rxon_ws_frames_received_total", "counter",
       "WebSocket frames received from workers.", ws_in_.load());
  line("rxon_ws_commands_sent_total", "counter",
       "WebSocket commands sent to workers.", ws_out_.load());
}

} // namespace rxon::runtime
