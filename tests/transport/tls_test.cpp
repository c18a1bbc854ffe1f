// Real TLS on 127.0.0.1: a self-signed certificate made with the openssl
// command, a small blocking TLS server, and the transport's https client.

#include "runtime/transport/blocking_transport.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

using namespace rxon;
using namespace rxon::runtime;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

struct cert_dir {
  std::filesystem::path dir;
  cert_dir() {
    char tmpl[] = "/tmp/rxon-tls-XXXXXX";
    dir = mkdtemp(tmpl);
    std::string cmd
        = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
          "-nodes -days 1 -subj /CN=127.0.0.1 -addext "
          "subjectAltName=IP:127.0.0.1 "
          "-keyout "
          + key() + " -out " + cert() + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  ~cert_dir() { std::filesystem::remove_all(dir); }
  std::string cert() const { return (dir / "cert.pem").string(); }
  std::string key() const { return (dir / "key.pem").string(); }
};

/// Answers every request with 204; requires a client certificate signed
/// by `ca` (itself).
class tls_server {
public:
  explicit tls_server(const cert_dir& certs)
      : ctx_(ssl::context::tls_server),
        acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    ctx_.use_certificate_chain_file(certs.cert());
    ctx_.use_private_key_file(certs.key(), ssl::context::pem);
    ctx_.load_verify_file(certs.cert());
    ctx_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    thread_ = std::thread([this] { serve(); });
  }
  ~tls_server() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::atomic<int> handshakes_ok{0};
  std::atomic<int> handshakes_failed{0};
  std::atomic<int> requests{0};

private:
  void serve() {
    while (!stop_) {
      boost::system::error_code ec;
      tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (ec || stop_)
        return;
      ssl::stream<tcp::socket> stream(std::move(s), ctx_);
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) {
        handshakes_failed++;
        continue;
      }
      handshakes_ok++;
      boost::beast::flat_buffer buffer;
      for (;;) {
        http::request<http::string_body> req;
        http::read(stream, buffer, req, ec);
        if (ec)
          break;
        requests++;
        http::response<http::empty_body> res{http::status::no_content, 11};
        res.set("X-RXON-Version", "1.0b13");
        res.keep_alive(req.keep_alive());
        http::write(stream, res, ec);
        if (ec)
          break;
      }
    }
  }

  net::io_context io_;
  ssl::context ctx_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

transport_options quiet() {
  transport_options o;
  o.log = [](log_level, std::string_view) {};
  o.result_attempts = 1;
  return o;
}

} // namespace

TEST_CASE("https requests verify the server and present a client certificate") {
  cert_dir certs;
  tls_server server(certs);
  auto opts = quiet();
  opts.tls.ca_file = certs.cert();
  opts.tls.cert_file = certs.cert();
  opts.tls.key_file = certs.key();
  auto t = blocking_transport::create(
      "wss://127.0.0.1:" + std::to_string(server.port()) + "/", "w1", "tok",
      opts);
  REQUIRE(t);
  (*t)->connect();
  for (int i = 0; i < 3; ++i) {
    auto r = (*t)->poll_task({});
    REQUIRE(r);
    CHECK_FALSE(r->has_value());
  }
  CHECK(server.requests == 3);
  CHECK(server.handshakes_ok == 1); // one kept-alive TLS connection
}

TEST_CASE("an untrusted server certificate is a network error") {
  cert_dir certs;
  tls_server server(certs);
  auto opts = quiet(); // system CAs only: the self-signed cert is unknown
  opts.tls.cert_file = certs.cert();
  opts.tls.key_file = certs.key();
  auto t = blocking_transport::create(
      "https://127.0.0.1:" + std::to_string(server.port()), "w1", "tok", opts);
  REQUIRE(t);
  (*t)->connect();
  auto r = (*t)->poll_task({});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::network);
  CHECK(r.error().message.find("TLS handshake") != std::string::npos);
  CHECK(server.requests == 0);
}

TEST_CASE("a server requiring mTLS refuses a client without a certificate") {
  cert_dir certs;
  tls_server server(certs);
  auto opts = quiet();
  opts.tls.ca_file = certs.cert();
  auto t = blocking_transport::create(
      "https://127.0.0.1:" + std::to_string(server.port()), "w1", "tok", opts);
  REQUIRE(t);
  (*t)->connect();
  auto r = (*t)->poll_task({});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::network);
  CHECK(server.requests == 0);
}

TEST_CASE("unreadable TLS files are errors naming the file") {
  auto opts = quiet();
  opts.tls.ca_file = "/nonexistent/ca.pem";
  auto t = blocking_transport::create("https://127.0.0.1:1", "w1", "tok", opts);
  REQUIRE_FALSE(t);
  CHECK(t.error().message.find("/nonexistent/ca.pem") != std::string::npos);
  opts.tls.ca_file.clear();
  opts.tls.cert_file = "/nonexistent/cert.pem";
  auto half
      = blocking_transport::create("https://127.0.0.1:1", "w1", "tok", opts);
  REQUIRE_FALSE(half);
  CHECK(half.error().message.find("together") != std::string::npos);
}
