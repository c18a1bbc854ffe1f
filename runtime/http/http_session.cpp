#include "runtime/http/http_session.hpp"

#include "runtime/http/response_wire.hpp"
#include "runtime/http/tls_context.hpp"
#include "runtime/http/websocket_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <chrono>
#include <sys/socket.h>
#include <type_traits>

namespace rxon::runtime {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using ssl_stream = beast::ssl_stream<beast::tcp_stream>;

namespace {

/// A response on its way to the socket. When it carries a leased task and
/// is destroyed undelivered (write failed, peer gone, server stopped), the
/// task goes back to the queue at once.
struct pending_reply {
  http_response res;
  actors::orchestrator_api* api = nullptr;
  bool delivered = false;
  ~pending_reply() {
    if (!delivered && res.lease && api)
      api->return_task(res.lease->worker_id, res.lease->task_id);
  }
};

/// The request as the router sees it; the body moves out of `msg`.
http_request to_request(http::request<http::string_body>& msg,
                        const std::string& cert_identity) {
  http_request req;
  req.method = std::string{msg.method_string()};
  req.target = std::string{msg.target()};
  req.has_body = !msg.body().empty();
  req.body = std::move(msg.body());
  auto header = [&](const char* name) {
    auto it = msg.find(name);
    return it == msg.end() ? std::string{} : std::string{it->value()};
  };
  req.worker_token = header("X-Worker-Token");
  req.worker_id = header("X-Worker-ID");
  req.client_token = header("X-Client-Token");
  req.rxon_version = header("X-RXON-Version");
  req.cert_identity = cert_identity;
  return req;
}

template <class Stream>
class http_session : public connection,
                     public std::enable_shared_from_this<http_session<Stream>> {
  static constexpr bool is_tls = std::is_same_v<Stream, ssl_stream>;

public:
  template <class... Args>
  http_session(connection_slot slot, Args&&... args)
      : slot_(std::move(slot)), stream_(std::forward<Args>(args)...) {}

  ~http_session() override {
    if (id_)
      slot_.state().remove(id_);
  }

  void run() {
    id_ = slot_.state().add(this->weak_from_this());
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&http_session::start,
                                            this->shared_from_this()));
  }

  void shutdown() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->closing_ = true;
      if (!self->busy_)
        beast::get_lowest_layer(self->stream_).cancel();
    });
  }

  void force_close() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->closing_ = true;
      beast::get_lowest_layer(self->stream_).close();
    });
  }

private:
  void start() {
    if constexpr (is_tls) {
      beast::get_lowest_layer(stream_).expires_after(
          slot_.state().opts().read_timeout);
      stream_.async_handshake(
          net::ssl::stream_base::server,
          beast::bind_front_handler(&http_session::on_handshake,
                                    this->shared_from_this()));
    } else {
      do_read();
    }
  }

  void on_handshake(beast::error_code ec) {
    if (ec)
      return; // bad or missing client certificate, or a timeout
    if constexpr (is_tls)
      cert_identity_ = peer_common_name(stream_.native_handle());
    do_read();
  }

  void do_read() {
    if (closing_)
      return do_close();
    const auto& o = slot_.state().opts();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(o.max_header_bytes));
    parser_->body_limit(o.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(o.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&http_session::on_header,
                                  this->shared_from_this()));
  }

  /// Answers a request that could not be read and closes.
  void reject(int status, const char* what) {
    keep_alive_ = false;
    auto p = std::make_shared<pending_reply>();
    p->res = json_response(status, json::object{{"error", what}});
    slot_.state().metrics().count_request(route_id::unknown, status);
    send(std::move(p));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec == http::error::header_limit)
      return reject(431, "request header fields too large");
    if (ec == http::error::body_limit)
      return reject(413, "request body too large");
    if (ec == http::error::bad_target || ec == http::error::bad_method
        || ec == http::error::bad_field || ec == http::error::bad_value
        || ec == http::error::bad_version)
      return reject(400, "malformed HTTP request");
    if (ec)
      return do_close(); // eof, timeout, reset, shutdown
    auto& msg = parser_->get();
    if (beast::websocket::is_upgrade(msg))
      return upgrade();
    // Most requests arrive whole in one segment: a body already buffered
    // (or none) is parsed here, without a read operation and its timer.
    if (!parser_->is_done() && buffer_.size() > 0) {
      auto used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more)
        ec = {};
    }
    if (ec || parser_->is_done())
      return on_read(ec, 0);
    beast::get_lowest_layer(stream_).expires_after(
        slot_.state().opts().read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read,
                                               this->shared_from_this()));
  }

  void upgrade() {
    auto& st = slot_.state();
    auto msg = parser_->release();
    auto req = to_request(msg, cert_identity_);
    auto worker = router::websocket_worker(req.target);
    route_id route = route_id::worker_ws;
    http_response refusal;
    if (!worker) {
      refusal = json_response(
          404, json::object{{"error", "no WebSocket route for " + req.target}});
    } else if (auto who = st.routes().authorize_websocket(req, *worker)) {
      st.metrics().count_request(route, 101);
      beast::get_lowest_layer(stream_).expires_never();
      st.remove(id_);
      id_ = 0;
      start_websocket_session(std::move(stream_), std::move(msg),
                              std::move(who->worker_id), std::move(slot_));
      return;
    } else {
      refusal = error_response(who.error());
    }
    st.metrics().count_request(route, refusal.status);
    keep_alive_ = msg.keep_alive();
    auto p = std::make_shared<pending_reply>();
    p->res = std::move(refusal);
    send(std::move(p));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit)
      return reject(413, "request body too large");
    if (ec)
      return do_close();
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    busy_ = true;
    read_at_ = std::chrono::steady_clock::now();
    auto& st = slot_.state();
    st.routes().handle(
        to_request(msg, cert_identity_),
        [self = this->shared_from_this(), api = &st.api()](http_response res) {
          auto p = std::make_shared<pending_reply>();
          p->res = std::move(res);
          p->api = api;
          auto& state = self->slot_.state();
          // After a stop nothing is posted: p returns its task when dropped.
          state.post_if_running([&] {
            auto exec = self->stream_.get_executor();
            net::post(exec, [self, p = std::move(p)]() mutable {
              self->send(std::move(p));
            });
          });
        });
  }

  /// Whether the kernel already holds the peer's FIN (or an error). A write
  /// to such a socket still succeeds, so a leased task would look
  /// delivered; checked right before writing one (one recv, instead of a
  /// reactor registration per poll to watch for the hang-up meanwhile).
  /// Only for a poll that waited: one answered at once (under load, nearly
  /// all) gave its client no time to leave, and the check was a syscall
  /// per task. A task that still meets a gone client returns when its
  /// lease expires, as after any failure once the response is written.
  bool peer_hung_up() {
    constexpr auto answered_at_once = std::chrono::milliseconds{5};
    if (std::chrono::steady_clock::now() - read_at_ < answered_at_once)
      return false;
    auto& s = beast::get_lowest_layer(stream_).socket();
    char c;
    auto n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  void send(std::shared_ptr<pending_reply> p) {
    if (p->res.lease && peer_hung_up()) {
      busy_ = false;
      return do_close(); // p's destructor returns a leased task
    }
    reply_keep_alive_ = keep_alive_ && !closing_;
    out_.clear();
    write_http_response(out_, p->res, reply_keep_alive_);
    std::size_t sent = 0;
    if constexpr (!is_tls) {
      // A response usually fits the socket's buffer: written at once, it
      // needs no write operation and no timer. The rest (if any) goes on
      // below with the write timeout.
      auto fd = beast::get_lowest_layer(stream_).socket().native_handle();
      auto n
          = ::send(fd, out_.data(), out_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n == static_cast<ssize_t>(out_.size())) {
        // The next read starts after the handlers already queued: the
        // client needs that long to send its next request, and a read
        // tried at once would mostly find nothing (one wasted recv).
        net::post(stream_.get_executor(),
                  [self = this->shared_from_this(), p = std::move(p)] {
                    self->on_write({}, *p);
                  });
        return;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        return on_write(beast::error_code{errno, beast::system_category()}, *p);
      sent = n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    beast::get_lowest_layer(stream_).expires_after(
        slot_.state().opts().write_timeout);
    net::async_write(
        stream_, net::buffer(out_.data() + sent, out_.size() - sent),
        [self = this->shared_from_this(), p = std::move(p)](
            beast::error_code ec, std::size_t) { self->on_write(ec, *p); });
  }

  void on_write(beast::error_code ec, pending_reply& p) {
    busy_ = false;
    if (ec)
      return do_close();
    p.delivered = true;
    if (!reply_keep_alive_)
      return do_close();
    do_read();
  }

  void do_close() {
    auto& lowest = beast::get_lowest_layer(stream_);
    if constexpr (is_tls) {
      lowest.expires_after(std::chrono::seconds(2));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) {
            beast::get_lowest_layer(self->stream_).close();
          });
    } else {
      beast::error_code ec;
      lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  connection_slot slot_; // first: keeps the io_context alive for stream_
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string out_; ///< the response being written
  bool reply_keep_alive_ = true;
  std::string cert_identity_;
  uint64_t id_ = 0;
  bool keep_alive_ = true;
  bool busy_ = false;
  /// When the request being answered was read.
  std::chrono::steady_clock::time_point read_at_;
  bool closing_ = false;
};

} // namespace

void start_http_session(tcp::socket socket, connection_slot slot) {
  std::make_shared<http_session<beast::tcp_stream>>(std::move(slot),
                                                    std::move(socket))
      ->run();
}

void start_https_session(tcp::socket socket, net::ssl::context& tls,
                         connection_slot slot) {
  std::make_shared<http_session<ssl_stream>>(std::move(slot), std::move(socket),
                                             tls)
      ->run();
}

} // namespace rxon::runtime
