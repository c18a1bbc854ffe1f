#pragma once

// Loopback HTTP and WebSocket clients for the listener tests (plain or
// TLS). Every operation is bounded by a timeout; nothing blocks forever.

#include "protocol/json.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rxon::test {

using namespace std::chrono_literals;

struct tls_client_files {
  std::string ca;   ///< trusted CA for the server certificate
  std::string cert; ///< optional client certificate
  std::string key;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_reply {
  int status = 0; ///< 0: the connection failed or timed out
  std::string body;
  std::map<std::string, std::string> headers; ///< lowercase names
  std::string header(const std::string& lower_name) const;
  /// The body parsed as JSON (null when it is not JSON).
  json::value json() const;
};

class http_client {
public:
  explicit http_client(uint16_t port,
                       std::optional<tls_client_files> tls = std::nullopt);
  ~http_client();

  /// Connects (and handshakes for TLS); false on failure (see error()).
  bool connect();
  /// One request on the current keep-alive connection (connects first if
  /// needed).
  http_reply request(const std::string& method, const std::string& target,
                     const std::string& body = {},
                     const header_list& headers = {},
                     std::chrono::milliseconds timeout = 10s);
  /// Writes raw bytes on the connection (plain only).
  bool write_raw(std::string_view bytes);
  /// Reads one response on the current connection (after write_raw).
  http_reply read_reply(std::chrono::milliseconds timeout = 10s);
  /// True when the server closes the connection within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout);
  void disconnect();
  const std::string& error() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

class ws_client {
public:
  explicit ws_client(uint16_t port,
                     std::optional<tls_client_files> tls = std::nullopt);
  ~ws_client();

  /// Opens the WebSocket; returns the handshake status (101 on success).
  int connect(const std::string& target, const header_list& headers);
  bool send_text(const std::string& text);
  /// The next text frame; nullopt after a close or the timeout.
  std::optional<std::string> read_text(std::chrono::milliseconds timeout = 5s);
  /// The close code the server sent (0 when none).
  int close_code() const;
  void close();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace rxon::test
