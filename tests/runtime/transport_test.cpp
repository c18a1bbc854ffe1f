// Connection-level behaviour: WebSocket channel, limits, timeouts,
// keep-alive, leases of undeliverable polls, graceful stop.

#include "protocol/codec.hpp"
#include "tests/runtime/support/fixture.hpp"

#include <chrono>
#include <thread>

using namespace rxon;
using namespace rxon::test;

namespace {

std::string metrics_text(uint16_t port) {
  http_client c{port};
  return c.request("GET", "/metrics").body;
}

} // namespace

TEST_CASE("a WebSocket receives cancel commands and sends events") {
  listener_fixture fx;
  ws_client ws{fx.port()};
  REQUIRE(ws.connect("/_worker/ws/w1", worker_headers("w1", "token-w1"))
          == 101);
  REQUIRE(eventually([&] { return fx.fake.snapshot().attached == 1; }));

  worker_command cancel;
  cancel.command = "cancel_task";
  cancel.task_id = "t1";
  cancel.job_id = "j1";
  REQUIRE(fx.fake.send_command("w1", cancel));
  auto frame = ws.read_text();
  REQUIRE(frame);
  auto cmd = decode<worker_command>(*frame);
  REQUIRE(cmd);
  CHECK(*cmd == cancel);

  CHECK(ws.send_text(
      R"({"event_id":"e1","worker_id":"w1","origin_worker_id":"w1","event_type":"progress","payload":{"pct":50}})"));
  REQUIRE(eventually([&] { return fx.fake.snapshot().events.size() == 1; }));
  CHECK(fx.fake.snapshot().events[0].event_id == "e1");
  // A frame for another worker is dropped, the socket stays open.
  CHECK(ws.send_text(
      R"({"event_id":"e2","worker_id":"w2","origin_worker_id":"w2","event_type":"x","payload":{}})"));
  CHECK(ws.send_text("not json"));
  CHECK(fx.fake.send_command("w1", cancel));
  CHECK(ws.read_text());
  CHECK(fx.fake.snapshot().events.size() == 1);

  ws.close();
  CHECK(eventually([&] { return fx.fake.snapshot().attached == 0; }));
}

TEST_CASE("a cancel through the client API reaches the worker's socket") {
  listener_fixture fx;
  http_client client{fx.port()};
  auto ack
      = client.request("POST", "/api/v1/jobs",
                       R"({"tasks":[{"type":"resize"}]})", client_headers());
  REQUIRE(ack.status == 202);
  auto job_id = ack.json().find("job_id")->as_string();
  http_client worker{fx.port()};
  REQUIRE(worker
              .request("GET", "/_worker/workers/w1/tasks/next?timeout=1", {},
                       worker_headers("w1", "token-w1"))
              .status
          == 200);
  ws_client ws{fx.port()};
  REQUIRE(ws.connect("/_worker/ws/w1", worker_headers("w1", "token-w1"))
          == 101);
  REQUIRE(eventually([&] { return fx.fake.snapshot().attached == 1; }));
  auto cancelled = client.request("POST", "/api/v1/jobs/" + job_id + "/cancel",
                                  {}, client_headers());
  CHECK(cancelled.status == 200);
  auto frame = ws.read_text();
  REQUIRE(frame);
  auto cmd = decode<worker_command>(*frame);
  REQUIRE(cmd);
  CHECK(cmd->command == "cancel_task");
  CHECK(cmd->job_id == job_id);
}

TEST_CASE("a new WebSocket for the same worker replaces the old one") {
  listener_fixture fx;
  ws_client first{fx.port()};
  REQUIRE(first.connect("/_worker/ws/w1", worker_headers("w1", "token-w1"))
          == 101);
  ws_client second{fx.port()};
  REQUIRE(second.connect("/_worker/ws/w1", worker_headers("w1", "token-w1"))
          == 101);
  CHECK_FALSE(first.read_text());
  CHECK(first.close_code() == 1008);
  worker_command ping;
  ping.command = "noop";
  REQUIRE(eventually([&] { return fx.fake.send_command("w1", ping); }));
  CHECK(second.read_text());
}

TEST_CASE("a WebSocket upgrade is refused without valid credentials") {
  listener_fixture fx;
  ws_client none{fx.port()};
  CHECK(none.connect("/_worker/ws/w1", {{"X-Worker-ID", "w1"}}) == 401);
  ws_client other{fx.port()};
  CHECK(other.connect("/_worker/ws/w2", worker_headers("w2", "global-secret"))
        == 403);
  CHECK(fx.fake.snapshot().attached == 0);
}

TEST_CASE("keep-alive reuses one connection for many requests") {
  listener_fixture fx;
  http_client c{fx.port()};
  auto h = worker_headers("w1", "token-w1");
  for (int i = 0; i < 20; ++i)
    REQUIRE(c.request("PATCH", "/_worker/workers/w1", {}, h).status == 200);
  CHECK(fx.srv->state().metrics().open_connections() == 1);
  auto text = metrics_text(fx.port());
  CHECK(text.find("rxon_http_connections_accepted_total 2")
        != std::string::npos);
  CHECK(
      text.find(
          R"(rxon_http_requests_total{route="worker_heartbeat",status="200"} 20)")
      != std::string::npos);
  CHECK(text.find("rxon_fake_queue_depth 0") != std::string::npos);
}

TEST_CASE("oversized bodies get 413 and oversized headers 431") {
  auto o = default_options();
  o.max_body_bytes = 1024;
  o.max_header_bytes = 1024;
  listener_fixture fx{o};
  http_client c{fx.port()};
  auto big = c.request("POST", "/_worker/events", std::string(4096, 'x'),
                       worker_headers("w1", "token-w1"));
  CHECK(big.status == 413);
  CHECK(big.header("x-rxon-version") == "1.0b13");
  auto h = worker_headers("w1", "token-w1");
  h.emplace_back("X-Padding", std::string(4096, 'p'));
  http_client c2{fx.port()};
  CHECK(c2.request("PATCH", "/_worker/workers/w1", {}, h).status == 431);
}

namespace {

std::string register_request(const std::string& body) {
  return "POST /_worker/workers/register HTTP/1.1\r\nHost: x\r\n"
         "X-Worker-ID: w1\r\nX-Worker-Token: token-w1\r\n"
         "Content-Type: application/json\r\nContent-Length: "
         + std::to_string(body.size()) + "\r\n\r\n";
}

const std::string registration = R"({"worker_id":"w1","worker_type":"generic",)"
                                 R"("supported_skills":[{"name":"resize"}]})";

} // namespace

TEST_CASE("a body that arrives after its header is read in full") {
  // The header's segment carries part of the body (parsed at once); the
  // rest comes later and is read with the read timeout.
  listener_fixture fx;
  http_client c{fx.port()};
  REQUIRE(
      c.write_raw(register_request(registration) + registration.substr(0, 12)));
  std::this_thread::sleep_for(std::chrono::milliseconds{30});
  REQUIRE(c.write_raw(registration.substr(12)));
  auto r = c.read_reply();
  CHECK(r.status == 200);
  REQUIRE(fx.fake.snapshot().registrations.size() == 1);
  CHECK(fx.fake.snapshot().registrations[0].worker_id == "w1");
  // The connection stays usable.
  CHECK(c.request("GET", "/health").status == 200);
}

TEST_CASE("pipelined requests are answered in order") {
  listener_fixture fx;
  http_client c{fx.port()};
  REQUIRE(c.write_raw(register_request(registration) + registration
                      + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                      + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(c.read_reply().status == 200);
  CHECK(c.read_reply().status == 200);
  CHECK(c.read_reply().status == 404);
  CHECK(fx.fake.snapshot().registrations.size() == 1);
}

TEST_CASE("a client that stops in the middle of a body is dropped after the "
          "read timeout") {
  auto o = default_options();
  o.read_timeout = std::chrono::milliseconds{300};
  listener_fixture fx{o};
  http_client c{fx.port()};
  REQUIRE(
      c.write_raw(register_request(registration) + registration.substr(0, 12)));
  auto start = std::chrono::steady_clock::now();
  CHECK(c.wait_closed(5s));
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(fx.fake.snapshot().registrations.empty());
}

TEST_CASE("a task larger than the socket buffer reaches its worker whole") {
  // The response is written partly at once, the rest asynchronously.
  listener_fixture fx;
  auto big = make_task("t-big");
  big.params = json::object{{"blob", std::string(8u << 20, 'x')}};
  fx.fake.push_task(big);
  http_client c{fx.port()};
  auto r = c.request("GET", "/_worker/workers/w1/tasks/next?timeout=1", {},
                     worker_headers("w1", "token-w1"), 20s);
  REQUIRE(r.status == 200);
  auto got = decode<task_payload>(r.body);
  REQUIRE(got);
  CHECK(got->task_id == "t-big");
  CHECK(got->params == big.params);
  auto snap = fx.fake.snapshot();
  CHECK(snap.returned_tasks.empty()); // delivered, not handed back
  CHECK(snap.leases.count("t-big") == 1);
}

TEST_CASE("a slow client is dropped after the read timeout") {
  auto o = default_options();
  o.idle_timeout = std::chrono::milliseconds{300};
  o.read_timeout = std::chrono::milliseconds{300};
  listener_fixture fx{o};
  http_client c{fx.port()};
  REQUIRE(c.write_raw("PATCH /_worker/workers/w1 HTTP/1.1\r\nHost: x\r\n"));
  auto start = std::chrono::steady_clock::now();
  CHECK(c.wait_closed(5s));
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(eventually(
      [&] { return fx.srv->state().metrics().open_connections() == 0; }));
}

TEST_CASE("a poll whose client hung up returns its task to the queue") {
  listener_fixture fx;
  {
    http_client c{fx.port()};
    REQUIRE(c.write_raw(
        "GET /_worker/workers/w1/tasks/next?timeout=30 HTTP/1.1\r\nHost: x\r\n"
        "X-Worker-ID: w1\r\nX-Worker-Token: token-w1\r\n\r\n"));
    REQUIRE(eventually([&] { return fx.fake.snapshot().polls.size() == 1; }));
  } // the client goes away while its poll is parked (30 s: it stays parked)
  // A poll answered within a few ms is not checked (http_session.cpp).
  std::this_thread::sleep_for(std::chrono::milliseconds{20});
  fx.fake.push_task(make_task("t-lost"));
  REQUIRE(eventually(
      [&] { return fx.fake.snapshot().returned_tasks.size() == 1; }));
  auto snap = fx.fake.snapshot();
  CHECK(snap.returned_tasks[0] == "t-lost");
  CHECK(snap.queued == 1);
  http_client again{fx.port()};
  auto r = again.request("GET", "/_worker/workers/w2/tasks/next?timeout=1", {},
                         worker_headers("w2", "token-w2"));
  REQUIRE(r.status == 200);
  CHECK(decode<task_payload>(r.body)->task_id == "t-lost");
}

TEST_CASE("connections beyond the cap are refused") {
  auto o = default_options();
  o.max_connections = 1;
  listener_fixture fx{o};
  http_client first{fx.port()};
  REQUIRE(first.request("GET", "/health").status == 200);
  http_client second{fx.port()};
  CHECK(second.request("GET", "/health").status == 0);
  first.disconnect();
  REQUIRE(eventually(
      [&] { return fx.srv->state().metrics().open_connections() == 0; }));
  http_client third{fx.port()};
  CHECK(third.request("GET", "/health").status == 200);
}

TEST_CASE("stopping finishes the request in flight and reports not ready") {
  listener_fixture fx;
  http_client c{fx.port()};
  CHECK(c.request("GET", "/ready").status == 200);
  http_reply parked;
  std::thread poller{[&] {
    http_client p{fx.port()};
    parked = p.request("GET", "/_worker/workers/w1/tasks/next?timeout=0.5", {},
                       worker_headers("w1", "token-w1"));
  }};
  REQUIRE(eventually([&] { return fx.fake.snapshot().polls.size() == 1; }));
  fx.srv->state().routes().set_draining(true);
  CHECK(c.request("GET", "/ready").status == 503);
  fx.srv->stop();
  poller.join();
  CHECK(parked.status == 204);
  CHECK(fx.srv->state().metrics().open_connections() == 0);
}

TEST_CASE("a task delivered to a poll cut off by stop goes back to the queue") {
  auto o = default_options();
  o.grace_period = std::chrono::milliseconds{100};
  listener_fixture fx{o};
  http_reply parked;
  std::thread poller{[&] {
    http_client p{fx.port()};
    parked = p.request("GET", "/_worker/workers/w1/tasks/next?timeout=2", {},
                       worker_headers("w1", "token-w1"));
  }};
  REQUIRE(eventually([&] { return fx.fake.snapshot().polls.size() == 1; }));
  fx.srv->stop(); // the grace period ends before the poll does
  poller.join();
  CHECK(parked.status == 0);
  fx.fake.push_task(make_task("t-after-stop"));
  REQUIRE(eventually(
      [&] { return fx.fake.snapshot().returned_tasks.size() == 1; }));
  CHECK(fx.fake.snapshot().queued == 1);
}
