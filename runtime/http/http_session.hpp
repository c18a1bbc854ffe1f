#pragma once

// One HTTP/1.1 connection (plain or TLS): keep-alive request loop with
// header/body limits and timeouts; hands WebSocket upgrades over.

#include "runtime/http/server_state.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace boost::asio::ssl {
class context;
}

namespace rxon::runtime {

/// Runs a plain HTTP session on an accepted socket (holding `slot`).
void start_http_session(boost::asio::ip::tcp::socket socket,
                        connection_slot slot);

/// Runs an HTTPS session: TLS handshake first, then as above.
void start_https_session(boost::asio::ip::tcp::socket socket,
                         boost::asio::ssl::context& tls, connection_slot slot);

} // namespace rxon::runtime
