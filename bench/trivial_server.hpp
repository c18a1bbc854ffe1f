#pragma once

// The ceiling for `rxon bench http`: a trivial Beast HTTP server on one io
// thread that answers every poll with a canned task and every other request
// with 200 {"status":"accepted"}. No auth, no routing, no orchestrator.

#include <cstdint>
#include <memory>

namespace rxon::bench {

class trivial_server {
public:
  trivial_server();
  ~trivial_server(); ///< stops the io thread
  trivial_server(const trivial_server&) = delete;
  trivial_server& operator=(const trivial_server&) = delete;

  /// The bound port on 127.0.0.1 (0 when binding failed).
  uint16_t port() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace rxon::bench
