// The listener's own response serializer, read back by Beast's parser.

#include "runtime/http/response_wire.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <doctest/doctest.h>

namespace http = boost::beast::http;
using rxon::runtime::http_response;
using rxon::runtime::write_http_response;

namespace {

/// Parses `wire` as one complete response; fails the test otherwise.
http::response<http::string_body> parse(const std::string& wire,
                                        bool head_only = false) {
  http::response_parser<http::string_body> p;
  p.eager(true);
  if (head_only)
    p.skip(true);
  boost::beast::error_code ec;
  auto used = p.put(boost::asio::buffer(wire), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(p.is_done());
  CHECK(used == wire.size()); // nothing before or after the message
  return p.release();
}

} // namespace

TEST_CASE("a JSON response reads back with its status, headers and body") {
  http_response res;
  res.status = 429;
  res.body = R"({"error":"slow down"})";
  res.headers.emplace_back("Retry-After", "3");
  std::string wire;
  write_http_response(wire, res, true);
  auto msg = parse(wire);
  CHECK(msg.result_int() == 429);
  CHECK(msg.reason() == "Too Many Requests");
  CHECK(msg.body() == res.body);
  CHECK(msg[http::field::content_type] == "application/json");
  CHECK(msg["X-RXON-Version"] == RXON_PROTOCOL_VERSION);
  CHECK(msg["Retry-After"] == "3");
  CHECK(msg.keep_alive());
}

TEST_CASE("a response that ends the connection says so") {
  http_response res;
  res.status = 413;
  res.body = R"({"error":"request body too large"})";
  std::string wire;
  write_http_response(wire, res, false);
  auto msg = parse(wire);
  CHECK(msg.result_int() == 413);
  CHECK_FALSE(msg.keep_alive());
  CHECK(msg.body() == res.body);
}

TEST_CASE("204 carries neither a body nor a length") {
  http_response res;
  res.status = 204;
  res.body = "ignored";
  std::string wire;
  write_http_response(wire, res, true);
  CHECK(wire.find("Content-Length") == std::string::npos);
  CHECK(wire.ends_with("\r\n\r\n"));
  auto msg = parse(wire);
  CHECK(msg.result_int() == 204);
  CHECK(msg.body().empty());
  CHECK(msg.keep_alive());
}

TEST_CASE("text bodies keep their content type, and responses append") {
  http_response a;
  a.body = "rxon_tasks 3\n";
  a.content_type = "text/plain; version=0.0.4";
  http_response b;
  b.status = 404;
  b.body = R"({"error":"no route"})";
  std::string wire;
  write_http_response(wire, a, true);
  auto first_end = wire.size();
  write_http_response(wire, b, true);
  auto one = parse(wire.substr(0, first_end));
  auto two = parse(wire.substr(first_end));
  CHECK(one[http::field::content_type] == a.content_type);
  CHECK(one.body() == a.body);
  CHECK(two.result_int() == 404);
  CHECK(two.body() == b.body);
}
