#pragma once

// Accepts TCP connections (plain or TLS) and starts a session for each, up
// to the connection cap.

#include "protocol/error.hpp"
#include "runtime/http/server_state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

namespace boost::asio::ssl {
class context;
}

namespace rxon::runtime {

class listener : public std::enable_shared_from_this<listener> {
public:
  listener(boost::asio::io_context& ioc, std::shared_ptr<server_state> state,
           std::shared_ptr<boost::asio::ssl::context> tls);

  /// Opens, binds and listens on the configured address and port.
  status open();
  /// The bound port (useful with port 0).
  uint16_t port() const;
  void run();
  /// Stops accepting (thread-safe).
  void stop();

private:
  void do_accept();
  void on_accept(boost::system::error_code ec,
                 boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<server_state> state_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::steady_timer backoff_; ///< after accept errors (EMFILE)
};

} // namespace rxon::runtime
