#pragma once

// Accepts TCP connections (plain or TLS) and starts a session for each, up
// to the connection cap, spreading them over the io threads' contexts.

#include "protocol/error.hpp"
#include "runtime/http/server_state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace rxon::runtime {

class listener : public std::enable_shared_from_this<listener> {
public:
  /// Accepts on the first context; sessions go to each in turn.
  listener(std::vector<std::shared_ptr<boost::asio::io_context>> iocs,
           std::shared_ptr<server_state> state,
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

  std::vector<std::shared_ptr<boost::asio::io_context>> iocs_;
  std::size_t next_ = 0; ///< the context of the next session
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<server_state> state_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::steady_timer backoff_; ///< after accept errors (EMFILE)
};

} // namespace rxon::runtime
