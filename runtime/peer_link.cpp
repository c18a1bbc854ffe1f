#include "runtime/peer_link.hpp"

#include "runtime/log.hpp"

#include <unistd.h>

namespace rxon::runtime {

bool not_registered(const error& e) {
  return e.http_status == 404;
}

bool retryable(const error& e) {
  return e.code == errc::network || e.code == errc::rate_limit
         || e.code == errc::unavailable || e.code == errc::timeout
         || (e.http_status && *e.http_status >= 500);
}

json::object error_fields(const error& e) {
  json::object f{{"error", e.message}, {"code", to_string(e.code)}};
  if (e.http_status)
    f.set("http_status", *e.http_status);
  return f;
}

transport_options
peer_transport_options(const std::string& ca, bool insecure,
                       std::chrono::milliseconds max_backoff) {
  transport_options t;
  t.tls.ca_file = ca;
  t.tls.verify_peer = !insecure;
  // Reconnect the command channel as fast as the rest of the peer.
  t.ws_initial_delay = std::min(std::chrono::milliseconds{200}, max_backoff);
  t.ws_max_delay = max_backoff;
  t.request_timeout = std::chrono::milliseconds{30000};
  t.connect_timeout = std::chrono::milliseconds{5000};
  t.log = [](log_level l, std::string_view line) {
    auto lvl = l == log_level::debug     ? log::level::debug
               : l == log_level::info    ? log::level::info
               : l == log_level::warning ? log::level::warn
                                         : log::level::error;
    log::write(lvl, line, {{"component", "transport"}});
  };
  return t;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0)
    return "unknown";
  return buf;
}

} // namespace rxon::runtime
