#pragma once

// Configuration of `rxon serve`: embedded defaults, overridden by a JSON
// configuration file (--config), then by RXON_* environment variables, then
// by command-line flags. docs/configuration.md documents every option.

#include "protocol/error.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rxon::runtime {

struct serve_config {
  // -- network ----------------------------------------------------------------
  std::string listen = "127.0.0.1:8080"; ///< HOST:PORT
  std::size_t io_threads = 1;
  std::size_t max_body_bytes = 32u << 20;
  int64_t read_timeout_ms = 30'000;
  int64_t idle_timeout_ms = 60'000;
  std::size_t max_connections = 10'000;
  int64_t max_poll_timeout_ms = 60'000;
  int64_t grace_period_ms = 10'000; ///< SIGTERM drain budget

  // -- TLS --------------------------------------------------------------------
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  bool require_client_cert = false;

  // -- auth -------------------------------------------------------------------
  std::string auth_mode = "mixed"; ///< mixed | mtls-only | token-only
  std::string worker_token;        ///< global worker token
  std::map<std::string, std::string> worker_tokens; ///< id -> own token
  std::map<std::string, std::string> client_tokens; ///< token -> client name
  bool require_signatures = false;
  std::map<std::string, std::string> worker_secrets; ///< id -> HMAC secret
  bool rate_limits = true;

  // -- storage ----------------------------------------------------------------
  std::string db = "./var/rxon.db";   ///< "" or ":memory:": nothing persists
  std::string synchronous = "normal"; ///< normal | full

  // -- dispatch ---------------------------------------------------------------
  std::string strategy = "default";
  int64_t lease_ms = 300'000;
  int64_t holon_ttl_ms = 120'000;
  int64_t retry_base_ms = 100;
  int64_t retry_max_ms = 30'000;
  double reputation_floor = 0.3;
  std::size_t scheduler_threads = 1;
  bool batch_scheduling = true; ///< actor and storage threads: SCHED_BATCH
  /// Transparent huge pages for the heap (actors/memory_policy.hpp): for
  /// very large holarchies; a burst of submissions pays for them.
  bool huge_pages = false;

  // -- stacking: this orchestrator as a holon of a parent ---------------------
  std::string uplink;       ///< parent URL (http/https); empty: none
  std::string uplink_id;    ///< worker id at the parent
  std::string uplink_token; ///< worker token at the parent
  std::string uplink_tls_ca;
  std::string uplink_secret; ///< HMAC secret at the parent (signed messages)
  int64_t uplink_heartbeat_ms = 5'000;
  /// A pulled task not placed on a local holon within this goes back to
  /// the parent as RESOURCE_EXHAUSTED_ERROR.
  int64_t uplink_place_ms = 2'000;
  /// Results kept while the parent is unreachable (oldest dropped beyond).
  std::size_t uplink_backlog = 10'000;

  // -- logging ----------------------------------------------------------------
  std::string log_format = "text"; ///< text | json
  std::string log_level = "info";  ///< debug | info | warn | error

  /// Where `listen` splits into host and port.
  result<std::pair<std::string, uint16_t>> endpoint() const;
};

/// Builds the configuration from defaults, the file named by --config (or
/// RXON_CONFIG), the environment `env` ("NAME=value" strings) and `args`.
/// Unknown flags, unknown file keys and bad values are errors naming them.
result<serve_config> load_config(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env);

/// Checks cross-field rules (TLS files together, known modes...).
status validate(const serve_config& cfg);

/// The flags `rxon serve` accepts, for --help.
const char* serve_usage();

} // namespace rxon::runtime
