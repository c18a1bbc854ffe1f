#include "runtime/transport/request_encoding.hpp"
#include "runtime/transport/response_mapping.hpp"
#include "runtime/transport/transport.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace rxon;
using namespace rxon::runtime;

TEST_CASE("poll timeouts are written like Python str(float)") {
  CHECK(python_float_str(30) == "30.0");
  CHECK(python_float_str(1.0) == "1.0");
  CHECK(python_float_str(0.5) == "0.5");
  CHECK(python_float_str(0.1) == "0.1");
  CHECK(python_float_str(2.25) == "2.25");
  CHECK(python_float_str(123456.0) == "123456.0");
  CHECK(python_float_str(1e16) == "1e+16");
  CHECK(python_float_str(1.5e-5) == "1.5e-05");
  CHECK(python_float_str(0.0001) == "0.0001");
  CHECK(python_float_str(0) == "0.0");
}

TEST_CASE("the poll query follows spec 2.2 exactly") {
  using list = std::optional<std::vector<std::string>>;
  CHECK(*poll_query(30, std::nullopt, std::nullopt) == "?timeout=30.0");
  CHECK(*poll_query(1, list{std::vector<std::string>{}}, std::nullopt)
        == "?timeout=1.0&available_skills=");
  CHECK(*poll_query(2.5, list{{"a b", "c+d"}}, list{{"x", "y"}})
        == "?timeout=2.5&available_skills=a+b,c%2Bd&hot_skills=x,y");
  auto bad = poll_query(INFINITY, std::nullopt, std::nullopt);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_value);
  CHECK_FALSE(poll_query(-1, std::nullopt, std::nullopt));
}

TEST_CASE("worker ids are percent-encoded as one path segment") {
  CHECK(encode_path_segment("w 1") == "w%201");
  CHECK(encode_path_segment("a/b") == "a%2Fb");
  CHECK(encode_path_segment("worker-1_x.y~") == "worker-1_x.y~");
}

TEST_CASE("base URLs map ws schemes to http and strip trailing slashes") {
  auto u = parse_base_url("ws://h:1///");
  REQUIRE(u);
  CHECK(u->text == "http://h:1");
  CHECK_FALSE(u->tls);
  CHECK(u->port == 1);
  auto s = parse_base_url("wss://example.org/base/");
  REQUIRE(s);
  CHECK(s->text == "https://example.org/base");
  CHECK(s->tls);
  CHECK(s->port == 443);
  CHECK(s->path == "/base");
  auto v6 = parse_base_url("http://[::1]:8080");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 8080);
  CHECK_FALSE(parse_base_url("http://h:99999"));
  CHECK_FALSE(parse_base_url("http://"));
}

TEST_CASE("unsupported schemes are rejected with the reference's message") {
  boost::asio::io_context io;
  for (const char* url : {"ftp://h", "HTTP://h", "h:1"}) {
    auto t = create_transport(io, url, "w", "t");
    REQUIRE_FALSE(t);
    CHECK(t.error().message
          == std::string("Unsupported transport scheme in URL: ") + url);
  }
  CHECK(create_transport(io, "mock://", "w", "t"));
  CHECK(create_transport(io, "wss://h", "w", "t"));
}

TEST_CASE("Retry-After is read as seconds or as an HTTP date") {
  auto now = std::chrono::system_clock::from_time_t(1445412480); // 07:28:00
  CHECK(*parse_retry_after("120", now) == 120.0);
  CHECK(*parse_retry_after(" 1.5 ", now) == 1.5);
  CHECK(*parse_retry_after("1e3", now) == 1000.0);
  CHECK(*parse_retry_after("-5", now) == 0.0);
  CHECK(*parse_retry_after("nan", now) == 0.0);
  CHECK(*parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now) == 120.0);
  CHECK(*parse_retry_after("Wed, 21 Oct 2015 09:30:00 +0200", now) == 120.0);
  CHECK(*parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0.0);
  CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:30:00", now)); // naive
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("0x10", now));
}

TEST_CASE("responses map to values or typed errors") {
  auto now = std::chrono::system_clock::now();
  http_response r;
  r.status = 204;
  CHECK(interpret_response(r, "/p", now)->is_null());

  r = {200, "application/json; charset=utf-8", "", {}, R"({"a":1})"};
  CHECK(interpret_response(r, "/p", now)->find("a")->as_int() == 1);
  r.body = "  ";
  CHECK(interpret_response(r, "/p", now)->is_null());
  r.body = "{bad";
  CHECK(interpret_response(r, "/p", now).error().code == errc::invalid_json);

  r = {200, "text/html", "", {}, "<html>"};
  auto html = interpret_response(r, "/p", now);
  CHECK(html.error().code == errc::protocol);
  CHECK(html.error().message.starts_with("Response is not a valid JSON"));

  r = {403, "application/json", "", {}, R"({"error":"403: Forbidden"})"};
  auto forbidden = interpret_response(r, "/p", now);
  CHECK(forbidden.error().code == errc::protocol);
  CHECK(forbidden.error().http_status == 403);
  CHECK(forbidden.error().message == R"(HTTP 403: {"error":"403: Forbidden"})");

  r = {401, "", "", {}, ""};
  CHECK(interpret_response(r, "/_worker/workers/w 1", now).error().message
        == "Unauthorized (401) from /_worker/workers/w 1");
  r = {401, "application/json", "", {}, R"({"error":"bad signature"})"};
  CHECK(interpret_response(r, "/p", now).error().message
        == R"(Unauthorized (401) from /p: {"error":"bad signature"})");
}

TEST_CASE("rate-limit errors carry the body's code, message and wait") {
  auto now = std::chrono::system_clock::now();
  http_response r{429, "application/json", "", std::string("3"),
                  R"({"error":"slow down","code":"QUOTA"})"};
  auto e = interpret_response(r, "/p", now).error();
  CHECK(e.code == errc::rate_limit);
  CHECK(e.message == "slow down");
  CHECK(e.detail_code == "QUOTA");
  CHECK(*e.retry_after == 3.0);

  r = {429, "application/json", "", {}, "[1, 2]"};
  e = interpret_response(r, "/p", now).error();
  CHECK(e.message == "[1, 2]");
  CHECK(e.detail_code == "LIMIT_EXCEEDED_ERROR");
  CHECK_FALSE(e.retry_after);

  r = {429, "text/plain", "", std::string("-4"), "busy"};
  e = interpret_response(r, "/p", now).error();
  CHECK(e.message == "Rate limit exceeded (429): busy");
  CHECK(*e.retry_after == 0.0);

  r = {429, "application/json", "", {}, ""};
  CHECK(interpret_response(r, "/p", now).error().message
        == "Rate limit exceeded");
}

TEST_CASE("JSON content types are recognised with suffixes and parameters") {
  CHECK(is_json_content_type("application/json"));
  CHECK(is_json_content_type("Application/JSON; charset=utf-8"));
  CHECK(is_json_content_type("application/problem+json"));
  CHECK_FALSE(is_json_content_type("text/json"));
  CHECK_FALSE(is_json_content_type(""));
  CHECK_FALSE(is_json_content_type("application/jsonx"));
}
