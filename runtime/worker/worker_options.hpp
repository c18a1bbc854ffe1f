#pragma once

// Options of `rxon worker` and their command-line parsing.

#include "protocol/error.hpp"
#include "protocol/messages.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rxon::runtime {

/// What the worker does with a task.
enum class task_mode { exec, echo, sleep };

struct worker_options {
  std::string url;
  std::string worker_id;
  std::string token;
  /// Skill names registered and polled for. Defaults to the mode's name
  /// ("exec", "echo" or "sleep") so a bare worker still receives tasks.
  std::vector<std::string> skills;
  std::optional<rxon::resources> resources;
  int concurrency = 1;
  task_mode mode = task_mode::echo;
  std::string exec_command; ///< for task_mode::exec, run via /bin/sh -c
  int64_t sleep_ms = 0;     ///< for task_mode::sleep
  std::chrono::milliseconds heartbeat_interval{5000};
  /// Seconds a poll may be held; also bounds how long SIGTERM waits for
  /// the outstanding poll.
  double poll_timeout_s = 5.0;
  /// SIGTERM: how long in-flight tasks may run before they are killed and
  /// returned as TRANSIENT_ERROR.
  std::chrono::milliseconds grace_period{30000};
  /// Cap of the reconnection backoff (network errors, re-registration).
  std::chrono::milliseconds max_backoff{5000};
  std::string log_format = "text";
  std::string log_level = "info";
  std::string tls_ca;
  /// Client certificate chain and key (PEM) for mTLS: both or neither.
  std::string tls_cert;
  std::string tls_key;
  /// HMAC secret shared with the orchestrator: messages are signed.
  std::string secret;
  bool tls_insecure = false;
};

/// Parses `rxon worker` flags. Missing or malformed values are errors
/// naming the flag.
result<worker_options> parse_worker_args(const std::vector<std::string>& args);

/// The flags `rxon worker` accepts, for --help.
const char* worker_usage();

} // namespace rxon::runtime
