#include "runtime/transport/command_channel.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>
#include <optional>

namespace rxon::runtime {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

struct outgoing {
  std::string text;
  std::function<void(bool)> done;
};

/// One connection attempt and, when it succeeds, its open socket.
struct session {
  std::optional<websocket::stream<beast::tcp_stream>> plain;
  std::optional<websocket::stream<beast::ssl_stream<beast::tcp_stream>>> tls;
  beast::flat_buffer buffer;
  websocket::response_type handshake_response;
  std::deque<outgoing> writes;
  bool open = false;
  bool failed = false;

  beast::tcp_stream& lowest() {
    return tls ? beast::get_lowest_layer(*tls)
               : beast::get_lowest_layer(*plain);
  }
  template <class F>
  void visit(F&& f) {
    if (tls)
      f(*tls);
    else
      f(*plain);
  }
};

using session_ptr = std::shared_ptr<session>;

} // namespace

class command_channel::impl : public std::enable_shared_from_this<impl> {
public:
  impl(net::any_io_executor ex, base_url url, std::shared_ptr<ssl::context> tls,
       const transport_options& opts, std::string target, header_source headers,
       text_handler on_text)
      : ex_(std::move(ex)), url_(std::move(url)), tls_(std::move(tls)),
        opts_(opts), target_(url_.path + target), headers_(std::move(headers)),
        on_text_(std::move(on_text)), resolver_(ex_), timer_(ex_),
        delay_(opts.ws_initial_delay) {}

  void start(bool reconnect) {
    reconnect_ = reconnect;
    stopped_ = false;
    connect();
  }

  void stop() {
    stopped_ = true;
    timer_.cancel();
    resolver_.cancel();
    if (current_)
      abort(current_);
    current_.reset();
  }

  bool is_open() const { return current_ && current_->open; }

  void send(std::string text, std::function<void(bool)> done) {
    if (!is_open())
      return done(false);
    current_->writes.push_back({std::move(text), std::move(done)});
    if (current_->writes.size() == 1)
      write_next(current_);
  }

private:
  void connect() {
    if (stopped_)
      return;
    auto s = std::make_shared<session>();
    if (url_.tls) {
      s->tls.emplace(ex_, *tls_);
      auto& stream = s->tls->next_layer();
      beast::error_code ec;
      auto address = net::ip::make_address(url_.host, ec);
      (void)address;
      if (ec)
        SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str());
      if (opts_.tls.verify_peer)
        stream.set_verify_callback(ssl::host_name_verification(url_.host));
    } else {
      s->plain.emplace(ex_);
    }
    current_ = s;
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        [self = shared_from_this(), s](beast::error_code ec,
                                       tcp::resolver::results_type r) {
          if (ec)
            return self->failed(s, "resolve: " + ec.message());
          s->lowest().expires_after(self->opts_.connect_timeout);
          s->lowest().async_connect(
              r, [self, s](beast::error_code ec, const tcp::endpoint&) {
                if (ec)
                  return self->failed(s, "connect: " + ec.message());
                if (s->tls)
                  return self->tls_handshake(s);
                self->ws_handshake(s);
              });
        });
  }

  void tls_handshake(const session_ptr& s) {
    s->tls->next_layer().async_handshake(
        ssl::stream_base::client,
        [self = shared_from_this(), s](beast::error_code ec) {
          if (ec)
            return self->failed(s, "TLS handshake: " + ec.message());
          self->ws_handshake(s);
        });
  }

  void ws_handshake(const session_ptr& s) {
    s->lowest().expires_never();
    auto headers = headers_();
    s->visit([&](auto& ws) {
      ws.set_option(
          websocket::stream_base::timeout::suggested(beast::role_type::client));
      ws.set_option(websocket::stream_base::decorator(
          [headers](websocket::request_type& req) {
            for (auto& [name, value] : headers)
              req.set(name, value);
          }));
      ws.async_handshake(
          s->handshake_response, url_.host + ":" + std::to_string(url_.port),
          target_, [self = shared_from_this(), s](beast::error_code ec) {
            if (ec) {
              auto status = s->handshake_response.result_int();
              return self->failed(s, status ? "handshake rejected with HTTP "
                                                  + std::to_string(status)
                                            : "handshake: " + ec.message());
            }
            s->open = true;
            self->delay_ = self->opts_.ws_initial_delay;
            self->read(s);
          });
    });
  }

  void read(const session_ptr& s) {
    s->visit([&](auto& ws) {
      ws.async_read(s->buffer, [self = shared_from_this(), s,
                                &ws](beast::error_code ec, std::size_t) {
        if (ec)
          return self->failed(s, ec == websocket::error::closed
                                     ? std::string("closed by the server")
                                     : "read: " + ec.message());
        if (ws.got_text() && !self->stopped_) {
          auto text = beast::buffers_to_string(s->buffer.data());
          self->on_text_(text);
        }
        s->buffer.consume(s->buffer.size());
        if (!self->stopped_)
          self->read(s);
      });
    });
  }

  void write_next(const session_ptr& s) {
    s->visit([&](auto& ws) {
      ws.text(true);
      ws.async_write(
          net::buffer(s->writes.front().text),
          [self = shared_from_this(), s](beast::error_code ec, std::size_t) {
            auto done = std::move(s->writes.front().done);
            s->writes.pop_front();
            done(!ec);
            if (ec)
              return self->failed(s, "write: " + ec.message());
            if (!s->writes.empty() && s->open)
              self->write_next(s);
          });
    });
  }

  void abort(const session_ptr& s) {
    s->open = false;
    beast::error_code ec;
    s->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    s->lowest().close();
  }

  /// Ends a session once; schedules the next attempt unless stopped.
  void failed(const session_ptr& s, const std::string& why) {
    if (s->failed)
      return;
    s->failed = true;
    abort(s);
    auto writes = std::move(s->writes);
    for (auto& w : writes)
      if (w.done)
        w.done(false);
    if (current_ != s || stopped_)
      return;
    current_.reset();
    if (!reconnect_) {
      write_log(opts_.log, log_level::info, "WebSocket closed: " + why);
      return;
    }
    write_log(opts_.log, log_level::warning,
              "WebSocket connection error: " + why + ". Retrying in "
                  + std::to_string(delay_.count()) + "ms...");
    timer_.expires_after(delay_);
    delay_ = std::min(delay_ * 2, opts_.ws_max_delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec)
        self->connect();
    });
  }

  net::any_io_executor ex_;
  base_url url_;
  std::shared_ptr<ssl::context> tls_;
  transport_options opts_;
  std::string target_;
  header_source headers_;
  text_handler on_text_;
  tcp::resolver resolver_;
  net::steady_timer timer_;
  std::chrono::milliseconds delay_;
  session_ptr current_;
  bool reconnect_ = true;
  bool stopped_ = true;
};

command_channel::command_channel(net::any_io_executor strand, base_url url,
                                 std::shared_ptr<ssl::context> tls,
                                 const transport_options& opts,
                                 std::string target, header_source headers,
                                 text_handler on_text)
    : impl_(std::make_shared<impl>(std::move(strand), std::move(url),
                                   std::move(tls), opts, std::move(target),
                                   std::move(headers), std::move(on_text))) {}

command_channel::~command_channel() {
  impl_->stop();
}

void command_channel::start(bool reconnect) {
  impl_->start(reconnect);
}

void command_channel::stop() {
  impl_->stop();
}

bool command_channel::is_open() const {
  return impl_->is_open();
}

void command_channel::send(std::string text, std::function<void(bool)> done) {
  impl_->send(std::move(text), std::move(done));
}

} // namespace rxon::runtime
