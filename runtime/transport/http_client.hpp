#pragma once

// A small pool of HTTP/1.1 keep-alive connections to one orchestrator
// (plain or TLS). One request in flight per connection; requests beyond
// `max_connections` wait in FIFO order. Every member function and every
// completion runs on the executor given at construction (a strand).

#include "protocol/error.hpp"
#include "runtime/transport/request_encoding.hpp"
#include "runtime/transport/response_mapping.hpp"
#include "runtime/transport/transport_options.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace rxon::runtime {

// The client-side request. An inline namespace keeps its mangled name apart
// from the server's rxon::runtime::http_request (http/http_message.hpp):
// both are linked into the rxon executable, and same-named classes there
// would break the one-definition rule (their inline destructors clash).
inline namespace client {

struct http_request {
  std::string method;   ///< "GET", "POST", "PATCH"
  std::string target;   ///< encoded path and query, below the base path
  std::string endpoint; ///< unencoded path, for error messages
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body; ///< sent as application/json
  std::chrono::milliseconds timeout{60000};
};

} // namespace client

using response_handler = std::function<void(result<http_response>)>;

class http_client {
public:
  /// `tls` must be set for https URLs.
  http_client(boost::asio::any_io_executor strand, base_url url,
              std::shared_ptr<boost::asio::ssl::context> tls,
              const transport_options& opts);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends one request; failures are network errors "Network error during
  /// <METHOD> <endpoint>: <detail>".
  void async_send(http_request req, response_handler handler);

  /// Closes every connection; queued and later requests fail.
  void close();

  /// Allows requests again after close().
  void reopen();

  /// Connections currently open (idle or busy).
  std::size_t open_connections() const;

  class impl;

private:
  std::shared_ptr<impl> impl_;
};

/// Builds the client TLS context of `opts`, with a message naming the file
/// that could not be loaded.
result<std::shared_ptr<boost::asio::ssl::context>>
make_tls_context(const tls_options& opts);

} // namespace rxon::runtime
