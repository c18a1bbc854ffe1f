#include "runtime/transport/blocking_transport.hpp"
#include "runtime/transport/http_transport.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/transport/transport_factories.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>

using namespace rxon;
using namespace rxon::runtime;
using namespace rxon::test;
using rxon::test::loopback_server;
using rxon::test::server_request;
using rxon::test::server_response;

namespace {

const char* task_json
    = R"({"job_id":"j1","task_id":"t1","type":"echo","params":{"x":1}})";

server_response json_ok(std::string body) {
  return reply(200, std::move(body));
}

std::string path_of(const server_request& r) {
  return r.target.substr(0, r.target.find('?'));
}

transport_options fast_options() {
  transport_options o;
  o.result_retry_delay = std::chrono::milliseconds(20);
  o.ws_initial_delay = std::chrono::milliseconds(20);
  o.ws_max_delay = std::chrono::milliseconds(80);
  o.request_timeout = std::chrono::seconds(5);
  o.log = [](log_level, std::string_view) {};
  return o;
}

std::unique_ptr<blocking_transport>
connect_to(const loopback_server& server, std::string worker_id = "w1",
           transport_options opts = fast_options()) {
  auto t = blocking_transport::create(server.url(), std::move(worker_id),
                                      "boot-token", std::move(opts));
  REQUIRE(t);
  (*t)->connect();
  return std::move(*t);
}

} // namespace

TEST_CASE("every request carries the worker headers, and a body its type") {
  loopback_server server([](const server_request& r) {
    if (r.method == "GET")
      return reply(204);
    return json_ok(R"({"status":"ok"})");
  });
  auto t = connect_to(server, "w 1");
  heartbeat hb;
  hb.worker_id = "w 1";
  hb.status = "idle";
  REQUIRE(t->send_heartbeat(hb));
  REQUIRE(t->poll_task({}));
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  for (auto& r : reqs) {
    CHECK(r.header("x-worker-token") == "boot-token");
    CHECK(r.header("x-worker-id") == "w 1");
    CHECK(r.header("x-rxon-version") == "1.0b13");
  }
  CHECK(reqs[0].method == "PATCH");
  CHECK(reqs[0].target == "/_worker/workers/w%201");
  CHECK(reqs[0].header("content-type") == "application/json");
  CHECK(reqs[0].body.find(R"("status":"idle")") != std::string::npos);
  CHECK(reqs[1].method == "GET");
  CHECK(reqs[1].target == "/_worker/workers/w%201/tasks/next?timeout=30.0");
  CHECK(reqs[1].header("content-type").empty());
}

TEST_CASE("register adopts the tokens of a token-shaped answer") {
  loopback_server server([](const server_request&) {
    return json_ok(R"({"access_token":"A1","expires_in":3600,)"
                   R"("worker_id":"w1","refresh_token":"R1"})");
  });
  auto t = connect_to(server);
  worker_registration reg;
  reg.worker_id = "w1";
  auto answer = t->register_worker(reg);
  REQUIRE(answer);
  CHECK(answer->find("access_token")->as_string() == "A1");
  CHECK(t->async().token() == "A1");
  auto& http = dynamic_cast<http_transport&>(t->async());
  CHECK(http.refresh_token_value() == std::optional<std::string>("R1"));
  CHECK(server.requests()[0].target == "/_worker/workers/register");
}

TEST_CASE("a polled task is decoded and a 204 means no task") {
  std::atomic<int> n{0};
  loopback_server server([&](const server_request&) {
    if (n++ == 0)
      return json_ok(task_json);
    return reply(204, "", "");
  });
  auto t = connect_to(server);
  poll_request p;
  p.timeout = 1;
  p.available_skills = std::vector<std::string>{"echo", "a b"};
  p.hot_skills = std::vector<std::string>{};
  auto first = t->poll_task(p);
  REQUIRE(first);
  REQUIRE(first->has_value());
  CHECK((*first)->task_id == "t1");
  CHECK((*first)->params.find("x")->as_int() == 1);
  auto second = t->poll_task(p);
  REQUIRE(second);
  CHECK_FALSE(second->has_value());
  CHECK(server.requests()[0].target
        == "/_worker/workers/w1/tasks/next?timeout=1.0"
           "&available_skills=echo,a+b&hot_skills=");
}

TEST_CASE("a poll answer that is not a valid task is an error naming it") {
  std::atomic<int> n{0};
  loopback_server server([&](const server_request&) {
    return json_ok(n++ == 0 ? R"({"job_id":"j1"})" : R"(["x"])");
  });
  auto t = connect_to(server);
  auto missing = t->poll_task({});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("task_id") != std::string::npos);
  auto raw = t->poll_task({});
  REQUIRE_FALSE(raw);
  CHECK(raw.error().code == errc::protocol);
}

TEST_CASE("a 401 triggers one token refresh and one retry with the new token") {
  loopback_server server([](const server_request& r) {
    if (path_of(r) == "/_worker/auth/token")
      return json_ok(
          R"({"access_token":"A2","expires_in":60,"worker_id":"w1"})");
    if (r.header("x-worker-token") != "A2")
      return reply(401, "", "");
    return json_ok(task_json);
  });
  auto t = connect_to(server);
  auto task = t->poll_task({});
  REQUIRE(task);
  CHECK(task->has_value());
  CHECK(t->async().token() == "A2");
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(path_of(reqs[0]) == "/_worker/workers/w1/tasks/next");
  CHECK(reqs[1].method == "POST");
  CHECK(path_of(reqs[1]) == "/_worker/auth/token");
  CHECK(reqs[1].body.empty());
  CHECK(reqs[2].header("x-worker-token") == "A2");
}

TEST_CASE("a held refresh token goes to the refresh endpoint") {
  loopback_server server([](const server_request& r) {
    if (path_of(r) == "/_worker/workers/register")
      return json_ok(R"({"access_token":"A1","expires_in":60,"worker_id":"w1",)"
                     R"("refresh_token":"R1"})");
    if (path_of(r) == "/_worker/auth/token/refresh")
      return json_ok(
          R"({"access_token":"A3","expires_in":60,"worker_id":"w1"})");
    return reply(500, "no", "text/plain");
  });
  auto t = connect_to(server);
  REQUIRE(t->register_worker(reg_of("w1")));
  auto tok = t->refresh_token();
  REQUIRE(tok);
  CHECK(tok->access_token == "A3");
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].body == R"({"refresh_token":"R1"})");
  CHECK(reqs[1].header("x-worker-token") == "A1");
  // The answer had no refresh token: the next refresh bootstraps again.
  auto& http = dynamic_cast<http_transport&>(t->async());
  CHECK_FALSE(http.refresh_token_value());
}

TEST_CASE("a 401 whose refresh fails is an auth error after one refresh") {
  loopback_server server([](const server_request& r) {
    if (path_of(r) == "/_worker/auth/token")
      return reply(403, R"({"error":"bad"})");
    return reply(401, "", "");
  });
  auto t = connect_to(server);
  auto res = t->send_result(make_result());
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::auth);
  CHECK(res.error().message.starts_with(
      "Unauthorized (401) from /_worker/tasks/result"));
  CHECK(server.request_count() == 2);
  CHECK(t->async().token() == "boot-token");
}

TEST_CASE("a 403 is a protocol error and is not retried") {
  loopback_server server([](const server_request&) {
    return reply(403, R"({"error":"403: Forbidden"})");
  });
  auto t = connect_to(server);
  auto res = t->send_result(make_result());
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::protocol);
  CHECK(res.error().http_status == 403);
  CHECK(server.request_count() == 1);
}

TEST_CASE("a 429 gives a rate-limit error with the wait, sent only once") {
  std::atomic<int> n{0};
  loopback_server server([&](const server_request&) {
    server_response r
        = reply(429, R"({"error":"too many","code":"LIMIT_EXCEEDED_ERROR"})");
    if (n++ == 0)
      r.headers = {{"Retry-After", "7"}};
    else
      r.headers = {{"Retry-After", "Thu, 01 Jan 2037 00:00:00 GMT"}};
    return r;
  });
  auto t = connect_to(server);
  auto first = t->send_result(make_result());
  REQUIRE_FALSE(first);
  CHECK(first.error().code == errc::rate_limit);
  CHECK(first.error().retry_after == 7.0);
  CHECK(first.error().detail_code == "LIMIT_EXCEEDED_ERROR");
  CHECK(first.error().message == "too many");
  CHECK(server.request_count() == 1);
  auto second = t->poll_task({});
  REQUIRE_FALSE(second);
  REQUIRE(second.error().retry_after);
  CHECK(*second.error().retry_after > 3.0e8); // ~2037 - now, in seconds
}

TEST_CASE("an ignored result is reported as not accepted and not retried") {
  loopback_server server([](const server_request&) {
    return json_ok(R"({"status":"ignored","reason":"job_cancelled"})");
  });
  std::vector<std::string> lines;
  std::mutex m;
  auto opts = fast_options();
  opts.log = [&](log_level, std::string_view line) {
    std::lock_guard g{m};
    lines.emplace_back(line);
  };
  auto t = connect_to(server, "w1", opts);
  auto ack = t->send_result(make_result());
  REQUIRE(ack);
  CHECK_FALSE(ack->accepted);
  CHECK(ack->ignored_reason == "job_cancelled");
  CHECK(server.request_count() == 1);
  std::lock_guard g{m};
  CHECK(std::find(lines.begin(), lines.end(),
                  "Result ignored. Reason: job_cancelled. Job: j1")
        != lines.end());
}

TEST_CASE("a text/html answer is a protocol error, not a crash") {
  loopback_server server([](const server_request&) {
    return reply(200, "<html>oops</html>", "text/html");
  });
  auto t = connect_to(server);
  auto res = t->register_worker(reg_of("w1"));
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::protocol);
}

TEST_CASE("dropped connections are retried with backoff, then reported") {
  std::atomic<int> n{0};
  loopback_server flaky([&](const server_request&) {
    server_response r = json_ok(R"({"status":"accepted"})");
    r.drop = n++ < 2;
    return r;
  });
  auto t = connect_to(flaky);
  auto start = std::chrono::steady_clock::now();
  auto ack = t->send_result(make_result());
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(ack);
  CHECK(ack->accepted);
  CHECK(flaky.request_count() == 3);
  CHECK(took >= std::chrono::milliseconds(60)); // 20 ms + 40 ms

  loopback_server dead([](const server_request&) { return drop_reply(); });
  auto d = connect_to(dead);
  auto err = d->send_result(make_result());
  REQUIRE_FALSE(err);
  CHECK(err.error().code == errc::network);
  CHECK(err.error().message.starts_with(
      "Network error during POST /_worker/tasks/result"));
  CHECK(dead.request_count() == 3);
}

TEST_CASE("a refused connection is a network error and events report it") {
  uint16_t port = 0;
  {
    loopback_server gone([](const server_request&) { return json_ok("{}"); });
    port = gone.port();
  }
  auto t = blocking_transport::create(
      "http://127.0.0.1:" + std::to_string(port), "w1", "tok", fast_options());
  REQUIRE(t);
  (*t)->connect();
  worker_event ev;
  ev.event_id = "e1";
  ev.worker_id = "w1";
  ev.origin_worker_id = "w1";
  ev.event_type = "progress";
  ev.payload = json::object{};
  auto st = (*t)->emit_event(ev);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::network);
}

TEST_CASE("requests before connect fail with the reference's message") {
  loopback_server server([](const server_request&) { return json_ok("{}"); });
  auto t
      = blocking_transport::create(server.url(), "w1", "tok", fast_options());
  REQUIRE(t);
  auto res = (*t)->poll_task({});
  REQUIRE_FALSE(res);
  CHECK(res.error().message
        == "Transport not connected. Call connect() first.");
  CHECK(server.request_count() == 0);
}

TEST_CASE("heartbeat answers expose cancellations and the full-sync flag") {
  loopback_server server([](const server_request&) {
    return json_ok(R"({"status":"ok","cancel_task_ids":["t1","t2"],)"
                   R"("require_full_sync":true})");
  });
  auto t = connect_to(server);
  auto reply = t->send_heartbeat(hb_of("w1", "busy"));
  REQUIRE(reply);
  CHECK(reply->cancel_task_ids == std::vector<std::string>{"t1", "t2"});
  CHECK(reply->require_full_sync);
  CHECK(reply->raw.find("status")->as_string() == "ok");
}

TEST_CASE("a protocol version mismatch is logged once per transport") {
  loopback_server server([](const server_request&) {
    server_response r = json_ok("{}");
    r.headers = {{"X-RXON-Version", "1.0b9"}};
    return r;
  });
  std::atomic<int> warnings{0};
  auto opts = fast_options();
  opts.log = [&](log_level, std::string_view line) {
    if (line.find("Version Mismatch") != std::string_view::npos)
      warnings++;
  };
  auto t = connect_to(server, "w1", opts);
  for (int i = 0; i < 3; ++i)
    REQUIRE(t->poll_task({}));
  CHECK(warnings == 1);
}

TEST_CASE("keep-alive connections are reused across requests") {
  loopback_server server([](const server_request&) { return json_ok("{}"); });
  auto t = connect_to(server);
  for (int i = 0; i < 20; ++i)
    REQUIRE(t->poll_task({}));
  CHECK(server.request_count() == 20);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("concurrent requests overlap on several pooled connections") {
  loopback_server server([](const server_request&) { return json_ok("{}"); });
  boost::asio::io_context io;
  auto opts = fast_options();
  opts.max_connections = 4;
  auto t = http_transport::create(io, server.url(), "w1", "tok", opts);
  REQUIRE(t);
  (*t)->connect();
  int done = 0;
  for (int i = 0; i < 16; ++i)
    (*t)->poll_task({}, [&](result<std::optional<task_payload>> r) {
      CHECK(r);
      ++done;
    });
  io.run_for(std::chrono::seconds(10));
  CHECK(done == 16);
  CHECK(server.connections_accepted() >= 2);
  CHECK(server.connections_accepted() <= 4);
}

TEST_CASE("a token with a line break is refused instead of injected") {
  loopback_server server([](const server_request&) { return json_ok("{}"); });
  auto t = blocking_transport::create(server.url(), "w1", "tok\r\nX-Evil: 1",
                                      fast_options());
  REQUIRE(t);
  (*t)->connect();
  auto res = (*t)->send_result(make_result());
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::invalid_value);
  CHECK(res.error().message.find("X-Worker-Token") != std::string::npos);
  CHECK(server.request_count() == 0);
}
