#include "tests/support/loopback_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <thread>

namespace rxon::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

struct ws_session;

struct shared {
  http_handler on_http;
  ws_handler on_ws;
  bool record = true;
  mutable std::mutex mutex;
  std::vector<server_request> requests;
  std::vector<std::string> ws_received;
  std::vector<std::weak_ptr<ws_session>> sockets;
  std::atomic<std::size_t> request_count{0};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> handshakes{0};
};

server_request to_request(const http::request<http::string_body>& req) {
  server_request out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  for (auto& f : req) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    out.headers[name] = std::string(f.value());
  }
  out.body = req.body();
  return out;
}

struct ws_session : std::enable_shared_from_this<ws_session> {
  ws_session(tcp::socket s, std::shared_ptr<shared> st)
      : ws(std::move(s)), state(std::move(st)) {}

  void start(http::request<http::string_body> req, ws_plan plan) {
    plan_ = std::move(plan);
    ws.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
      if (ec)
        return;
      {
        std::lock_guard guard{self->state->mutex};
        self->state->sockets.push_back(self);
      }
      for (auto& f : self->plan_.frames)
        self->send(f);
      if (self->plan_.close_after_frames)
        self->closing_ = true;
      self->maybe_close();
      self->read();
    });
  }

  void send(std::string text) {
    queue_.push_back(std::move(text));
    if (queue_.size() == 1)
      write_next();
  }

  void write_next() {
    ws.text(true);
    ws.async_write(net::buffer(queue_.front()),
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     self->queue_.pop_front();
                     if (ec)
                       return;
                     if (!self->queue_.empty())
                       return self->write_next();
                     self->maybe_close();
                   });
  }

  void maybe_close() {
    if (closing_ && queue_.empty())
      ws.async_close(websocket::close_code::normal,
                     [self = shared_from_this()](beast::error_code) {});
  }

  void read() {
    ws.async_read(buffer,
                  [self = shared_from_this()](beast::error_code ec, size_t) {
                    if (ec)
                      return;
                    std::lock_guard guard{self->state->mutex};
                    self->state->ws_received.push_back(
                        beast::buffers_to_string(self->buffer.data()));
                    self->buffer.consume(self->buffer.size());
                    self->read();
                  });
  }

  websocket::stream<beast::tcp_stream> ws;
  std::shared_ptr<shared> state;
  beast::flat_buffer buffer;
  std::deque<std::string> queue_;
  ws_plan plan_;
  bool closing_ = false;
};

struct http_session : std::enable_shared_from_this<http_session> {
  http_session(tcp::socket s, std::shared_ptr<shared> st)
      : stream(std::move(s)), state(std::move(st)) {}

  void read() {
    req = {};
    http::async_read(stream, buffer, req,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec)
                         return;
                       self->handle();
                     });
  }

  void handle() {
    auto request = to_request(req);
    state->request_count++;
    if (state->record) {
      std::lock_guard guard{state->mutex};
      state->requests.push_back(request);
    }
    if (websocket::is_upgrade(req) && state->on_ws) {
      state->handshakes++;
      auto plan = state->on_ws(request);
      if (plan.reject_status == 0) {
        std::make_shared<ws_session>(stream.release_socket(), state)
            ->start(std::move(req), std::move(plan));
        return;
      }
      server_response r;
      r.status = plan.reject_status;
      r.content_type = "text/plain";
      r.body = "rejected";
      return answer(r, false);
    }
    auto r = state->on_http(request);
    if (r.drop) {
      beast::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream.close();
      return;
    }
    answer(r, req.keep_alive());
  }

  void answer(const server_response& r, bool keep_alive) {
    res = {};
    res.result(static_cast<unsigned>(r.status));
    res.version(11);
    res.set("X-RXON-Version", "1.0b13");
    if (!r.content_type.empty())
      res.set(http::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers)
      res.set(name, value);
    res.body() = r.body;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    http::async_write(
        stream, res,
        [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
          if (ec)
            return;
          if (!keep_alive) {
            self->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
            return;
          }
          self->read();
        });
  }

  beast::tcp_stream stream;
  std::shared_ptr<shared> state;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::response<http::string_body> res;
};

} // namespace

class loopback_server::impl {
public:
  impl(std::shared_ptr<shared> st)
      : state(std::move(st)),
        acceptor(io, {net::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread = std::thread([this] { io.run(); });
  }

  ~impl() {
    io.stop();
    thread.join();
  }

  void accept() {
    acceptor.async_accept(
        net::make_strand(io), [this](beast::error_code ec, tcp::socket s) {
          if (ec)
            return;
          state->connections++;
          s.set_option(tcp::no_delay(true), ec);
          std::make_shared<http_session>(std::move(s), state)->read();
          accept();
        });
  }

  net::io_context io{1};
  std::shared_ptr<shared> state;
  tcp::acceptor acceptor;
  std::thread thread;
};

loopback_server::loopback_server(http_handler on_http, ws_handler on_ws,
                                 bool record) {
  auto st = std::make_shared<shared>();
  st->on_http = std::move(on_http);
  st->on_ws = std::move(on_ws);
  st->record = record;
  impl_ = std::make_shared<impl>(std::move(st));
}

loopback_server::~loopback_server() = default;

uint16_t loopback_server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::string loopback_server::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::vector<server_request> loopback_server::requests() const {
  auto st = impl_->state;
  std::lock_guard guard{st->mutex};
  return st->requests;
}

std::size_t loopback_server::request_count() const {
  return impl_->state->request_count;
}

std::size_t loopback_server::connections_accepted() const {
  return impl_->state->connections;
}

std::size_t loopback_server::ws_handshakes() const {
  return impl_->state->handshakes;
}

std::vector<std::string> loopback_server::ws_received() const {
  std::lock_guard guard{impl_->state->mutex};
  return impl_->state->ws_received;
}

void loopback_server::ws_broadcast(std::string text) {
  std::vector<std::shared_ptr<ws_session>> open;
  {
    std::lock_guard guard{impl_->state->mutex};
    for (auto& w : impl_->state->sockets)
      if (auto s = w.lock())
        open.push_back(std::move(s));
  }
  for (auto& s : open)
    net::post(s->ws.get_executor(), [s, text] { s->send(text); });
}

} // namespace rxon::test
