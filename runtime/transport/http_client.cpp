#include "runtime/transport/http_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <deque>
#include <unordered_set>

namespace rxon::runtime {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

struct connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::string out; ///< the serialised request
  std::optional<http::response_parser<http::string_body>> parser;
  bool reused = false;

  beast::tcp_stream& lowest() {
    return tls ? beast::get_lowest_layer(*tls) : *plain;
  }
  template <class F>
  void visit(F&& f) {
    if (tls)
      f(*tls);
    else
      f(*plain);
  }
};

using connection_ptr = std::shared_ptr<connection>;

struct pending {
  http_request req;
  response_handler handler;
  bool retried = false;
};

bool is_stale_error(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof
         || ec == net::error::connection_reset || ec == net::error::broken_pipe
         || ec == net::ssl::error::stream_truncated;
}

} // namespace

class http_client::impl : public std::enable_shared_from_this<impl> {
public:
  impl(net::any_io_executor ex, base_url url, std::shared_ptr<ssl::context> tls,
       const transport_options& opts)
      : ex_(std::move(ex)), url_(std::move(url)), tls_(std::move(tls)),
        opts_(opts), resolver_(ex_) {}

  void send(pending p) {
    if (closed_)
      return fail(p, "transport closed");
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      conn->reused = true;
      ++busy_;
      return write(std::move(conn), std::move(p));
    }
    // Busy connections all hold a request: wait for one to come free.
    if (busy_ >= std::max<std::size_t>(opts_.max_connections, 1)) {
      queue_.push_back(std::move(p));
      return;
    }
    ++busy_;
    open(std::move(p));
  }

  void close() {
    closed_ = true;
    resolver_.cancel();
    for (auto& conn : live_) {
      beast::error_code ec;
      conn->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
      conn->lowest().close();
    }
    live_.clear();
    idle_.clear();
    auto queued = std::move(queue_);
    queue_.clear();
    for (auto& p : queued)
      fail(p, "transport closed");
  }

  void reopen() { closed_ = false; }

  std::size_t open_connections() const { return busy_ + idle_.size(); }

private:
  void fail(pending& p, std::string_view detail, errc code = errc::network) {
    auto handler = std::move(p.handler);
    error err{code,
              (code == errc::network ? "Network error during " : "Bad request ")
                  + p.req.method + " " + p.req.endpoint + ": "
                  + std::string(detail)};
    net::post(ex_, [handler = std::move(handler), err = std::move(err)] {
      handler(err);
    });
  }

  void open(pending p) {
    auto conn = std::make_shared<connection>();
    if (url_.tls) {
      conn->tls.emplace(ex_, *tls_);
      auto* native = conn->tls->native_handle();
      beast::error_code ec;
      auto address = net::ip::make_address(url_.host, ec);
      (void)address;
      if (ec) // SNI only for host names
        SSL_set_tlsext_host_name(native, url_.host.c_str());
      if (opts_.tls.verify_peer)
        conn->tls->set_verify_callback(ssl::host_name_verification(url_.host));
    } else {
      conn->plain.emplace(ex_);
    }
    live_.insert(conn);
    if (!endpoints_.empty())
      return connect(std::move(conn), std::move(p));
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        [self = shared_from_this(), conn, p = std::move(p)](
            beast::error_code ec, tcp::resolver::results_type results) mutable {
          if (ec)
            return self->give_up(conn, p, "resolve: " + ec.message());
          self->endpoints_ = std::move(results);
          self->connect(std::move(conn), std::move(p));
        });
  }

  void connect(connection_ptr conn, pending p) {
    conn->lowest().expires_after(opts_.connect_timeout);
    conn->lowest().async_connect(
        endpoints_, [self = shared_from_this(), conn, p = std::move(p)](
                        beast::error_code ec, const tcp::endpoint&) mutable {
          if (ec)
            return self->give_up(conn, p, "connect: " + ec.message());
          conn->lowest().socket().set_option(tcp::no_delay(true), ec);
          if (!conn->tls)
            return self->write(std::move(conn), std::move(p));
          conn->lowest().expires_after(self->opts_.connect_timeout);
          conn->tls->async_handshake(
              ssl::stream_base::client,
              [self, conn, p = std::move(p)](beast::error_code ec) mutable {
                if (ec)
                  return self->give_up(conn, p,
                                       "TLS handshake: " + ec.message());
                self->write(std::move(conn), std::move(p));
              });
        });
  }

  // The request head is serialised by hand into one buffer: cheaper than
  // Beast's field-by-field buffer sequence on this hot path.
  void write(connection_ptr conn, pending p) {
    auto& out = conn->out;
    out.clear();
    out.append(p.req.method).append(" ").append(url_.path);
    out.append(p.req.target).append(" HTTP/1.1\r\nHost: ");
    out.append(host_header_).append("\r\n");
    for (auto& [name, value] : p.req.headers) {
      if (value.find_first_of("\r\n") != std::string::npos)
        return give_up(conn, p, "header " + name + " contains a line break",
                       errc::invalid_value);
      out.append(name).append(": ").append(value).append("\r\n");
    }
    if (p.req.body)
      out.append("Content-Type: application/json\r\nContent-Length: ")
          .append(std::to_string(p.req.body->size()))
          .append("\r\n\r\n")
          .append(*p.req.body);
    else if (p.req.method == "POST" || p.req.method == "PATCH")
      out.append("Content-Length: 0\r\n\r\n");
    else
      out.append("\r\n");
    conn->lowest().expires_after(p.req.timeout);
    conn->visit([&](auto& stream) {
      net::async_write(stream, net::buffer(conn->out),
                       [self = shared_from_this(), conn, p = std::move(p)](
                           beast::error_code ec, std::size_t) mutable {
                         if (ec)
                           return self->retry_or_give_up(conn, std::move(p), ec,
                                                         "write");
                         self->read(std::move(conn), std::move(p));
                       });
    });
  }

  void read(connection_ptr conn, pending p) {
    conn->parser.emplace();
    conn->parser->body_limit(opts_.body_limit);
    conn->visit([&](auto& stream) {
      http::async_read(stream, conn->buffer, *conn->parser,
                       [self = shared_from_this(), conn, p = std::move(p)](
                           beast::error_code ec, std::size_t) mutable {
                         if (ec)
                           return self->retry_or_give_up(conn, std::move(p), ec,
                                                         "read");
                         self->finish(std::move(conn), std::move(p));
                       });
    });
  }

  void finish(connection_ptr conn, pending p) {
    auto msg = conn->parser->release();
    http_response res;
    res.status = static_cast<int>(msg.result_int());
    res.content_type = std::string(msg[http::field::content_type]);
    res.rxon_version = std::string(msg["X-RXON-Version"]);
    if (auto it = msg.find(http::field::retry_after); it != msg.end())
      res.retry_after = std::string(it->value());
    res.body = std::move(msg.body());
    conn->lowest().expires_never();
    --busy_;
    if (msg.keep_alive() && !closed_)
      idle_.push_back(conn);
    else
      drop(conn);
    pump();
    p.handler(std::move(res));
  }

  /// A reused connection the server closed while idle: try a fresh one.
  void retry_or_give_up(const connection_ptr& conn, pending p,
                        beast::error_code ec, const char* what) {
    if (conn->reused && !p.retried && !closed_ && is_stale_error(ec)) {
      p.retried = true;
      drop(conn);
      return open(std::move(p));
    }
    std::string detail = ec == beast::error::timeout
                             ? std::string("timeout")
                             : std::string(what) + ": " + ec.message();
    give_up(conn, p, detail);
  }

  void give_up(const connection_ptr& conn, pending& p,
               const std::string& detail, errc code = errc::network) {
    drop(conn);
    --busy_;
    fail(p, detail, code);
    pump();
  }

  void drop(const connection_ptr& conn) {
    beast::error_code ec;
    conn->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    conn->lowest().close();
    live_.erase(conn);
  }

  void pump() {
    while (!queue_.empty() && !closed_
           && (!idle_.empty() || busy_ < opts_.max_connections)) {
      auto p = std::move(queue_.front());
      queue_.pop_front();
      send(std::move(p));
    }
  }

  net::any_io_executor ex_;
  base_url url_;
  std::shared_ptr<ssl::context> tls_;
  transport_options opts_;
  std::string host_header_;
  tcp::resolver resolver_;
  tcp::resolver::results_type endpoints_;
  std::vector<connection_ptr> idle_;
  std::unordered_set<connection_ptr> live_;
  std::deque<pending> queue_;
  std::size_t busy_ = 0;
  bool closed_ = false;
};

http_client::http_client(net::any_io_executor strand, base_url url,
                         std::shared_ptr<ssl::context> tls,
                         const transport_options& opts)
    : impl_(std::make_shared<impl>(std::move(strand), std::move(url),
                                   std::move(tls), opts)) {}

http_client::~http_client() {
  impl_->close();
}

void http_client::async_send(http_request req, response_handler handler) {
  impl_->send(pending{std::move(req), std::move(handler)});
}

void http_client::close() {
  impl_->close();
}

void http_client::reopen() {
  impl_->reopen();
}

std::size_t http_client::open_connections() const {
  return impl_->open_connections();
}

result<std::shared_ptr<ssl::context>>
make_tls_context(const tls_options& opts) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  beast::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                       | ssl::context::no_sslv3,
                   ec);
  if (opts.ca_file.empty())
    ctx->set_default_verify_paths(ec);
  else
    ctx->load_verify_file(opts.ca_file, ec);
  if (ec)
    return error{errc::invalid_value,
                 "cannot load CA file '" + opts.ca_file + "': " + ec.message()};
  if (opts.cert_file.empty() != opts.key_file.empty())
    return error{errc::invalid_value,
                 "client certificate and key must be given together"};
  if (!opts.cert_file.empty()) {
    ctx->use_certificate_chain_file(opts.cert_file, ec);
    if (ec)
      return error{errc::invalid_value, "cannot load client certificate '"
                                            + opts.cert_file
                                            + "': " + ec.message()};
    ctx->use_private_key_file(opts.key_file, ssl::context::pem, ec);
    if (ec)
      return error{errc::invalid_value, "cannot load client key '"
                                            + opts.key_file
                                            + "': " + ec.message()};
  }
  ctx->set_verify_mode(opts.verify_peer ? ssl::verify_peer : ssl::verify_none,
                       ec);
  return ctx;
}

} // namespace rxon::runtime
