#include "tests/runtime/support/test_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <cctype>
#include <limits>

namespace rxon::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using ssl_stream = beast::ssl_stream<beast::tcp_stream>;

namespace {

std::shared_ptr<ssl::context> client_context(const tls_client_files& f) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->load_verify_file(f.ca);
  ctx->set_verify_mode(ssl::verify_peer);
  if (!f.cert.empty()) {
    ctx->use_certificate_chain_file(f.cert);
    ctx->use_private_key_file(f.key, ssl::context::pem);
  }
  return ctx;
}

/// Runs the io_context until `done` or the timeout; cancels on timeout.
template <class Stream>
bool run_until(net::io_context& ioc, bool& done, Stream& s,
               std::chrono::milliseconds timeout) {
  ioc.restart();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline)
    ioc.run_one_for(deadline - std::chrono::steady_clock::now());
  if (!done) {
    beast::get_lowest_layer(s).close();
    ioc.restart();
    ioc.run_for(1s); // let the aborted handlers finish
  }
  return done;
}

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

} // namespace

std::string http_reply::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string{} : it->second;
}

json::value http_reply::json() const {
  auto v = json::parse(body);
  return v ? std::move(*v) : json::value{};
}

struct http_client::impl {
  uint16_t port;
  std::optional<tls_client_files> files;
  net::io_context ioc;
  std::shared_ptr<ssl::context> ctx;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<ssl_stream> tls;
  beast::flat_buffer buffer;
  std::string err;

  template <class F>
  auto with_stream(F&& f) {
    if (tls)
      return f(*tls);
    return f(*plain);
  }
  bool open() const { return plain || tls; }
};

http_client::http_client(uint16_t port, std::optional<tls_client_files> tls)
    : impl_(std::make_unique<impl>()) {
  impl_->port = port;
  impl_->files = std::move(tls);
  if (impl_->files)
    impl_->ctx = client_context(*impl_->files);
}

http_client::~http_client() = default;

const std::string& http_client::error() const {
  return impl_->err;
}

void http_client::disconnect() {
  impl_->plain.reset();
  impl_->tls.reset();
  impl_->buffer.clear();
}

bool http_client::connect() {
  disconnect();
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), impl_->port};
  beast::error_code ec;
  if (impl_->files) {
    impl_->tls = std::make_unique<ssl_stream>(impl_->ioc, *impl_->ctx);
    beast::get_lowest_layer(*impl_->tls).socket().connect(ep, ec);
    if (!ec)
      impl_->tls->handshake(ssl::stream_base::client, ec);
  } else {
    impl_->plain = std::make_unique<beast::tcp_stream>(impl_->ioc);
    impl_->plain->socket().connect(ep, ec);
  }
  if (ec) {
    impl_->err = ec.message();
    disconnect();
    return false;
  }
  return true;
}

http_reply http_client::request(const std::string& method,
                                const std::string& target,
                                const std::string& body,
                                const header_list& headers,
                                std::chrono::milliseconds timeout) {
  http_reply out;
  if (!impl_->open() && !connect())
    return out;
  http::request<http::string_body> req{http::string_to_verb(method), target,
                                       11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers)
    req.set(k, v);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  bool done = false;
  beast::error_code result_ec;
  impl_->with_stream([&](auto& s) {
    http::async_write(s, req, [&](beast::error_code ec, std::size_t) {
      result_ec = ec;
      done = true;
    });
    return run_until(impl_->ioc, done, s, timeout);
  });
  if (!done || result_ec) {
    impl_->err = done ? result_ec.message() : "timeout";
    disconnect();
    return out;
  }
  return read_reply(timeout);
}

http_reply http_client::read_reply(std::chrono::milliseconds timeout) {
  http_reply out;
  if (!impl_->open())
    return out;
  http::response<http::string_body> res;
  http::response_parser<http::string_body> parser{std::move(res)};
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  bool done = false;
  beast::error_code result_ec;
  impl_->with_stream([&](auto& s) {
    http::async_read(s, impl_->buffer, parser,
                     [&](beast::error_code ec, std::size_t) {
                       result_ec = ec;
                       done = true;
                     });
    return run_until(impl_->ioc, done, s, timeout);
  });
  res = parser.release();
  if (!done || result_ec) {
    impl_->err = done ? result_ec.message() : "timeout";
    disconnect();
    return out;
  }
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  for (const auto& f : res)
    out.headers[lower(f.name_string())] = std::string{f.value()};
  if (!res.keep_alive())
    disconnect();
  return out;
}

bool http_client::write_raw(std::string_view bytes) {
  if (!impl_->open() && !connect())
    return false;
  if (!impl_->plain)
    return false;
  beast::error_code ec;
  net::write(impl_->plain->socket(), net::buffer(bytes), ec);
  return !ec;
}

bool http_client::wait_closed(std::chrono::milliseconds timeout) {
  if (!impl_->open())
    return true;
  bool done = false;
  bool closed = false;
  impl_->with_stream([&](auto& s) {
    auto& sock = beast::get_lowest_layer(s).socket();
    auto buf = std::make_shared<std::array<char, 256>>();
    std::function<void()> next;
    next = [&, buf] {
      sock.async_read_some(net::buffer(*buf),
                           [&](beast::error_code ec, std::size_t) {
                             if (ec) {
                               closed = true;
                               done = true;
                               return;
                             }
                             next(); // discard bytes until the close
                           });
    };
    next();
    return run_until(impl_->ioc, done, s, timeout);
  });
  disconnect();
  return closed;
}

struct ws_client::impl {
  uint16_t port;
  std::optional<tls_client_files> files;
  net::io_context ioc;
  std::shared_ptr<ssl::context> ctx;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> plain;
  std::unique_ptr<websocket::stream<ssl_stream>> tls;
  beast::flat_buffer buffer;
  int close_code = 0;

  template <class F>
  auto with_stream(F&& f) {
    if (tls)
      return f(*tls);
    return f(*plain);
  }
};

ws_client::ws_client(uint16_t port, std::optional<tls_client_files> tls)
    : impl_(std::make_unique<impl>()) {
  impl_->port = port;
  impl_->files = std::move(tls);
  if (impl_->files)
    impl_->ctx = client_context(*impl_->files);
}

ws_client::~ws_client() = default;

int ws_client::connect(const std::string& target, const header_list& headers) {
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), impl_->port};
  beast::error_code ec;
  if (impl_->files) {
    impl_->tls = std::make_unique<websocket::stream<ssl_stream>>(impl_->ioc,
                                                                 *impl_->ctx);
    beast::get_lowest_layer(*impl_->tls).socket().connect(ep, ec);
    if (!ec)
      impl_->tls->next_layer().handshake(ssl::stream_base::client, ec);
  } else {
    impl_->plain
        = std::make_unique<websocket::stream<beast::tcp_stream>>(impl_->ioc);
    beast::get_lowest_layer(*impl_->plain).socket().connect(ep, ec);
  }
  if (ec)
    return 0;
  websocket::response_type res;
  return impl_->with_stream([&](auto& s) {
    s.set_option(websocket::stream_base::decorator(
        [headers](websocket::request_type& req) {
          for (const auto& [k, v] : headers)
            req.set(k, v);
        }));
    beast::error_code hec;
    s.handshake(res, "127.0.0.1", target, hec);
    return static_cast<int>(res.result_int());
  });
}

bool ws_client::send_text(const std::string& text) {
  beast::error_code ec;
  impl_->with_stream([&](auto& s) {
    s.text(true);
    s.write(net::buffer(text), ec);
    return 0;
  });
  return !ec;
}

std::optional<std::string>
ws_client::read_text(std::chrono::milliseconds timeout) {
  bool done = false;
  beast::error_code result_ec;
  impl_->buffer.clear();
  bool ok = impl_->with_stream([&](auto& s) {
    s.async_read(impl_->buffer, [&](beast::error_code ec, std::size_t) {
      result_ec = ec;
      done = true;
    });
    bool finished = run_until(impl_->ioc, done, s, timeout);
    if (finished && result_ec == websocket::error::closed)
      impl_->close_code = s.reason().code;
    return finished;
  });
  if (!ok || result_ec)
    return std::nullopt;
  return beast::buffers_to_string(impl_->buffer.data());
}

int ws_client::close_code() const {
  return impl_->close_code;
}

void ws_client::close() {
  impl_->with_stream([&](auto& s) {
    beast::error_code ec;
    s.close(websocket::close_code::normal, ec);
    return 0;
  });
}

} // namespace rxon::test
