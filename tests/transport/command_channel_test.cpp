#include "runtime/transport/blocking_transport.hpp"
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
using rxon::test::wait_until;
using rxon::test::ws_plan;

namespace {

transport_options fast_options() {
  transport_options o;
  o.ws_initial_delay = std::chrono::milliseconds(20);
  o.ws_max_delay = std::chrono::milliseconds(80);
  o.log = [](log_level, std::string_view) {};
  return o;
}

struct command_log {
  std::mutex mutex;
  std::vector<worker_command> commands;
  void add(worker_command c) {
    std::lock_guard g{mutex};
    commands.push_back(std::move(c));
  }
  std::size_t size() {
    std::lock_guard g{mutex};
    return commands.size();
  }
};

worker_event make_event(std::string id) {
  worker_event ev;
  ev.event_id = std::move(id);
  ev.worker_id = "w1";
  ev.origin_worker_id = "w1";
  ev.event_type = "progress";
  ev.payload = json::object{{"pct", 50}};
  return ev;
}

} // namespace

TEST_CASE("WebSocket commands are delivered and bad frames are skipped") {
  std::atomic<int> handshakes{0};
  std::string seen_target, seen_token;
  loopback_server server(
      [](const server_request&) { return reply(200, "{}"); },
      [&](const server_request& r) {
        handshakes++;
        seen_target = r.target;
        seen_token = r.header("x-worker-token");
        return ws_plan{
            0,
            {R"({"command":"cancel_task","task_id":"t1","job_id":"j1"})",
             "not-a-json-command", R"("just-a-string")", R"({"no_command":1})",
             R"({"command":"pause","extra":true})"},
            false};
      });
  // Declared before the transport, so it outlives the thread that fills it.
  command_log log;
  auto t
      = blocking_transport::create(server.url(), "w 1", "tok", fast_options());
  REQUIRE(t);
  (*t)->connect();
  (*t)->listen_for_commands([&](worker_command c) { log.add(std::move(c)); });
  REQUIRE(wait_until([&] { return log.size() == 2; }));
  std::lock_guard g{log.mutex};
  CHECK(log.commands[0].command == "cancel_task");
  CHECK(log.commands[0].task_id == std::optional<std::string>("t1"));
  CHECK(log.commands[1].command == "pause");
  CHECK(handshakes == 1);
  CHECK(seen_target == "/_worker/ws/w%201");
  CHECK(seen_token == "tok");
}

TEST_CASE("rejected handshakes are retried with backoff until accepted") {
  std::atomic<int> handshakes{0};
  loopback_server server([](const server_request&) { return reply(200, "{}"); },
                         [&](const server_request&) {
                           if (handshakes++ < 2)
                             return ws_plan{403, {}, false};
                           return ws_plan{0, {R"({"command":"hello"})"}, false};
                         });
  // Declared before the transport, so it outlives the thread that fills it.
  command_log log;
  auto t
      = blocking_transport::create(server.url(), "w1", "tok", fast_options());
  REQUIRE(t);
  (*t)->connect();
  auto start = std::chrono::steady_clock::now();
  (*t)->listen_for_commands([&](worker_command c) { log.add(std::move(c)); });
  REQUIRE(wait_until([&] { return log.size() == 1; }));
  CHECK(handshakes == 3);
  // Two sleeps: 20 ms, then 40 ms.
  CHECK(std::chrono::steady_clock::now() - start
        >= std::chrono::milliseconds(60));
}

TEST_CASE("a closed command socket is reopened after the initial delay") {
  std::atomic<int> handshakes{0};
  loopback_server server(
      [](const server_request&) { return reply(200, "{}"); },
      [&](const server_request&) {
        int n = handshakes++;
        return ws_plan{
            0, {R"({"command":"c)" + std::to_string(n) + R"("})"}, true};
      });
  // Declared before the transport, so it outlives the thread that fills it.
  command_log log;
  auto t
      = blocking_transport::create(server.url(), "w1", "tok", fast_options());
  REQUIRE(t);
  (*t)->connect();
  (*t)->listen_for_commands([&](worker_command c) { log.add(std::move(c)); });
  REQUIRE(wait_until([&] { return log.size() >= 4; }));
  std::lock_guard g{log.mutex};
  CHECK(log.commands[3].command == "c3");
}

TEST_CASE("without reconnect the listener stops after the first failure") {
  std::atomic<int> handshakes{0};
  loopback_server server([](const server_request&) { return reply(200, "{}"); },
                         [&](const server_request&) {
                           handshakes++;
                           return ws_plan{500, {}, false};
                         });
  auto t
      = blocking_transport::create(server.url(), "w1", "tok", fast_options());
  REQUIRE(t);
  (*t)->connect();
  (*t)->listen_for_commands([](worker_command) {}, false);
  REQUIRE(wait_until([&] { return handshakes == 1; }));
  // Give a reconnect (20 ms) ample time to happen if it wrongly would.
  auto probe = (*t)->poll_task(poll_for(0));
  REQUIRE(probe);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(handshakes == 1);
}

TEST_CASE("events go over the open WebSocket, else over HTTP") {
  loopback_server server(
      [](const server_request&) {
        return reply(200, R"({"status":"event_accepted"})");
      },
      [](const server_request&) {
        return ws_plan{0, {R"({"command":"hi"})"}, false};
      });
  // Declared before the transport, so it outlives the thread that fills it.
  command_log log;
  auto t
      = blocking_transport::create(server.url(), "w1", "tok", fast_options());
  REQUIRE(t);
  (*t)->connect();
  REQUIRE((*t)->emit_event(make_event("e-http")));
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target == "/_worker/events");
  CHECK(reqs[0].body.find("e-http") != std::string::npos);

  (*t)->listen_for_commands([&](worker_command c) { log.add(std::move(c)); });
  REQUIRE(wait_until([&] { return log.size() == 1; }));
  REQUIRE((*t)->emit_event(make_event("e-ws")));
  REQUIRE(wait_until([&] { return server.ws_received().size() == 1; }));
  CHECK(server.ws_received()[0].find(R"("event_id":"e-ws")")
        != std::string::npos);
  CHECK(server.requests().size() == 2); // the handshake, no new POST
}

TEST_CASE("commands pushed later by the server reach the handler") {
  loopback_server server([](const server_request&) { return reply(200, "{}"); },
                         [](const server_request&) {
                           return ws_plan{0, {}, false};
                         });
  // Declared before the transport, so it outlives the thread that fills it.
  command_log log;
  auto t
      = blocking_transport::create(server.url(), "w1", "tok", fast_options());
  REQUIRE(t);
  (*t)->connect();
  (*t)->listen_for_commands([&](worker_command c) { log.add(std::move(c)); });
  REQUIRE(wait_until([&] { return server.ws_handshakes() == 1; }));
  // The upgrade completes asynchronously; resend until it is received.
  REQUIRE(wait_until([&] {
    if (log.size() == 0)
      server.ws_broadcast(R"({"command":"cancel_task","task_id":"t9"})");
    return log.size() > 0;
  }));
  std::lock_guard g{log.mutex};
  CHECK(log.commands[0].task_id == std::optional<std::string>("t9"));
}
