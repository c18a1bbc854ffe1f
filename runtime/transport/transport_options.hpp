#pragma once

// Settings of a worker-side transport (spec §3.2): TLS, retries, timeouts,
// WebSocket reconnection and the log sink.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace rxon::runtime {

enum class log_level { debug, info, warning, error };

/// Receives the transport's log lines; may be called from the io thread.
using log_sink = std::function<void(log_level, std::string_view)>;

struct tls_options {
  /// PEM file of trusted CAs; empty = the system default paths.
  std::string ca_file;
  /// PEM client certificate chain and key, both or neither (mTLS).
  std::string cert_file;
  std::string key_file;
  /// Verify the server certificate and its host name.
  bool verify_peer = true;
};

struct transport_options {
  tls_options tls;
  /// send_result: attempts on network errors and the first backoff delay,
  /// doubled after each failure (spec §3.4: 3 and 0.1 s).
  int result_attempts = 3;
  std::chrono::milliseconds result_retry_delay{100};
  /// WebSocket reconnection backoff: starts here, doubles up to the cap,
  /// back to the start after a successful handshake (spec §3.7).
  std::chrono::milliseconds ws_initial_delay{1000};
  std::chrono::milliseconds ws_max_delay{60000};
  /// Timeout of every request except polls (which use timeout + 5 s).
  std::chrono::milliseconds request_timeout{60000};
  std::chrono::milliseconds connect_timeout{30000};
  /// Poll and heartbeat must overlap: at least 2. Requests beyond this
  /// many in flight wait in a queue.
  std::size_t max_connections = 8;
  /// Responses larger than this are a protocol error.
  std::size_t body_limit = 64u << 20;
  /// Where log lines go; empty = warnings and errors to stderr.
  log_sink log;
  /// When set, registrations, results, heartbeats and events are stamped
  /// (timestamp, security.signer_id) and signed with HMAC-SHA256 over
  /// their canonical JSON, as an orchestrator requiring signatures checks.
  std::string signing_secret;
};

} // namespace rxon::runtime

namespace rxon::runtime {

/// Sends a line to `sink`, or warnings and errors to stderr without one.
void write_log(const log_sink& sink, log_level level, std::string_view line);

} // namespace rxon::runtime
