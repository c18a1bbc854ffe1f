#include "runtime/http/listener.hpp"

#include "runtime/http/http_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>

namespace rxon::runtime {

namespace net = boost::asio;
using tcp = net::ip::tcp;

listener::listener(std::vector<std::shared_ptr<net::io_context>> iocs,
                   std::shared_ptr<server_state> state,
                   std::shared_ptr<net::ssl::context> tls)
    : iocs_(std::move(iocs)), acceptor_(*iocs_.front()),
      state_(std::move(state)), tls_(std::move(tls)),
      backoff_(acceptor_.get_executor()) {}

status listener::open() {
  const auto& o = state_->opts();
  boost::system::error_code ec;
  auto address = net::ip::make_address(o.address, ec);
  if (ec)
    return error{errc::invalid_value,
                 "listen address '" + o.address + "': " + ec.message()};
  tcp::endpoint ep{address, o.port};
  auto fail = [&](const char* what) {
    return error{errc::network,
                 std::string{what} + " " + ep.address().to_string() + ":"
                     + std::to_string(ep.port()) + ": " + ec.message()};
  };
  if (acceptor_.open(ep.protocol(), ec); ec)
    return fail("open");
  if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec)
    return fail("reuse_address");
  if (acceptor_.bind(ep, ec); ec)
    return fail("bind");
  if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec)
    return fail("listen");
  return {};
}

uint16_t listener::port() const {
  boost::system::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void listener::run() {
  do_accept();
}

void listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
  });
}

void listener::do_accept() {
  auto& ioc = *iocs_[next_++ % iocs_.size()];
  acceptor_.async_accept(ioc, [self = shared_from_this()](
                                  boost::system::error_code ec, tcp::socket s) {
    self->on_accept(ec, std::move(s));
  });
}

void listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open())
    return;
  if (!ec) {
    if (!state_->try_open_connection()) {
      boost::system::error_code ignored;
      socket.close(ignored); // over the cap: refuse at once
    } else {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      connection_slot slot{state_};
      if (tls_)
        start_https_session(std::move(socket), *tls_, std::move(slot));
      else
        start_http_session(std::move(socket), std::move(slot));
    }
  }
  if (!ec)
    return do_accept();
  // Transient errors (EMFILE...) do not stop the loop, but must not spin.
  backoff_.expires_after(std::chrono::milliseconds(50));
  backoff_.async_wait([self = shared_from_this()](boost::system::error_code e) {
    if (!e)
      self->do_accept();
  });
}

} // namespace rxon::runtime
