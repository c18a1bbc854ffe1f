#pragma once

// A minimal HTTP/1.1 + WebSocket server on 127.0.0.1 with one io thread,
// playing an orchestrator's answers in tests and benchmarks. Handlers run
// on the server thread.

#include "tests/support/wait_until.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rxon::test {

struct server_request {
  std::string method;
  std::string target;                         ///< as sent, with the query
  std::map<std::string, std::string> headers; ///< lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct server_response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  /// Close the connection without answering.
  bool drop = false;
};

/// What to do with a WebSocket handshake.
struct ws_plan {
  int reject_status = 0; ///< answer this HTTP status instead of upgrading
  std::vector<std::string> frames; ///< TEXT frames sent after the upgrade
  bool close_after_frames = false; ///< then close; else keep reading
};

using http_handler = std::function<server_response(const server_request&)>;
using ws_handler = std::function<ws_plan(const server_request&)>;

class loopback_server {
public:
  /// Listens on 127.0.0.1 on a free port. Unless a response sets its own,
  /// every answer carries X-RXON-Version: 1.0b13. `record` keeps every
  /// request for requests().
  explicit loopback_server(http_handler on_http, ws_handler on_ws = {},
                           bool record = true);
  ~loopback_server();
  loopback_server(const loopback_server&) = delete;
  loopback_server& operator=(const loopback_server&) = delete;

  uint16_t port() const;
  std::string url() const; ///< http://127.0.0.1:<port>

  std::vector<server_request> requests() const;
  std::size_t request_count() const;
  std::size_t connections_accepted() const;
  std::size_t ws_handshakes() const;
  /// TEXT frames received from WebSocket clients.
  std::vector<std::string> ws_received() const;
  /// Sends a TEXT frame to every open WebSocket.
  void ws_broadcast(std::string text);

  class impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace rxon::test
