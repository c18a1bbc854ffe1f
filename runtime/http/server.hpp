#pragma once

// The HTTP/WebSocket server: a listener plus N io threads over an
// orchestrator_api, with a graceful stop.

#include "actors/orchestrator_api.hpp"
#include "protocol/error.hpp"
#include "runtime/http/listener_options.hpp"
#include "runtime/http/server_state.hpp"

#include <memory>

namespace rxon::runtime {

class server {
public:
  server(actors::orchestrator_api& api, listener_options opts,
         server_clocks clocks = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Loads TLS, binds, and starts the io threads.
  status start();
  /// The bound port, once started.
  uint16_t port() const noexcept;
  /// Stops accepting, reports not-ready, lets in-flight requests finish
  /// for up to the grace period, then closes everything. Idempotent.
  void stop();

  server_state& state() noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace rxon::runtime
