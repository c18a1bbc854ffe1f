#include "bench/trivial_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <pthread.h>
#include <string>
#include <thread>

namespace rxon::bench {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class session : public std::enable_shared_from_this<session> {
public:
  explicit session(tcp::socket s) : stream_(std::move(s)) {}
  void start() { read(); }

private:
  void read() {
    req_ = {};
    http::async_read(
        stream_, buffer_, req_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (!ec)
            self->answer();
        });
  }
  void answer() {
    res_ = {};
    res_.version(11);
    res_.result(http::status::ok);
    res_.set(http::field::content_type, "application/json");
    res_.set("X-RXON-Version", "1.0b13");
    if (req_.target().find("/tasks/next") != beast::string_view::npos)
      res_.body() = R"({"job_id":"job-1","params":{"width":640},)"
                    R"("priority":0,"task_id":"task-)"
                    + std::to_string(++next_) + R"(","type":"resize"})";
    else
      res_.body() = R"({"status":"accepted"})";
    res_.keep_alive(true);
    res_.prepare_payload();
    http::async_write(
        stream_, res_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (!ec)
            self->read();
        });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  uint64_t next_ = 0;
};

} // namespace

struct trivial_server::impl {
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread io;
  uint16_t port = 0;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec)
        return;
      s.set_option(tcp::no_delay(true), ec);
      std::make_shared<session>(std::move(s))->start();
      accept();
    });
  }
};

trivial_server::trivial_server() : impl_(std::make_unique<impl>()) {
  beast::error_code ec;
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), 0};
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec)
    impl_->acceptor.bind(ep, ec);
  if (!ec)
    impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return;
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->io = std::thread{[this] {
    pthread_setname_np(pthread_self(), "rxon.trivial");
    impl_->ioc.run();
  }};
}

trivial_server::~trivial_server() {
  impl_->ioc.stop();
  if (impl_->io.joinable())
    impl_->io.join();
}

uint16_t trivial_server::port() const noexcept {
  return impl_->port;
}

} // namespace rxon::bench
