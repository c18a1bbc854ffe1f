#pragma once

// Everything the HTTP/WebSocket listener can be configured with. The lead
// fills it from the configuration file; tests fill it directly.

#include "runtime/auth/authenticator.hpp"
#include "runtime/auth/rate_limiter.hpp"
#include "runtime/auth/signature_checker.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace rxon::runtime {

struct listener_options {
  std::string address = "127.0.0.1";
  uint16_t port = 0; ///< 0: pick a free port (see server::port())
  std::size_t io_threads = 1;

  std::size_t max_body_bytes = 32u << 20;   ///< 413 beyond; big job batches
  std::size_t max_header_bytes = 16u << 10; ///< 431 beyond
  /// Time to receive a request body once its header arrived.
  std::chrono::milliseconds read_timeout{30000};
  /// Time a connection may wait for (the header of) its next request.
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{30000};
  std::size_t max_connections = 10000;
  /// Cap for the poll `timeout` query parameter.
  std::chrono::milliseconds max_poll_timeout{60000};
  /// How long stop() lets in-flight requests finish.
  std::chrono::milliseconds grace_period{5000};

  /// TLS when tls_cert is set (https and wss). tls_ca verifies clients.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  bool require_client_cert = false;

  auth_options auth;
  signature_options signatures;
  rate_limit_options rate_limits;
  /// Client API tokens (X-Client-Token) -> client identity (job owner).
  std::map<std::string, std::string> client_tokens;
};

} // namespace rxon::runtime
