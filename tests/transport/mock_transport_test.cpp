#include "runtime/transport/blocking_transport.hpp"
#include "runtime/transport/mock_transport.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/transport/transport_factories.hpp"

#include <doctest/doctest.h>

#include <mutex>

using namespace rxon;
using namespace rxon::runtime;
using namespace rxon::test;

namespace {

mock_transport& mock_of(blocking_transport& t) {
  return dynamic_cast<mock_transport&>(t.async());
}

} // namespace

TEST_CASE("the mock hands out pushed tasks and records what was sent") {
  auto t = blocking_transport::create("mock://", "w1", "tok");
  REQUIRE(t);
  auto& mock = mock_of(**t);
  (*t)->connect();
  CHECK(mock.connected());
  task_payload task;
  task.job_id = "j1";
  task.task_id = "t1";
  task.type = "echo";
  mock.push_task(task);
  auto got = (*t)->poll_task(poll_for(5));
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK(**got == task);

  auto reg = (*t)->register_worker(reg_of("w1"));
  REQUIRE(reg);
  CHECK(reg->find("status")->as_string() == "registered");
  CHECK(reg->find("worker_id")->as_string() == "w1");
  REQUIRE((*t)->send_result(make_result()));
  REQUIRE((*t)->send_heartbeat(hb_of("w1", "idle")));
  worker_event ev;
  ev.event_id = "e1";
  REQUIRE((*t)->emit_event(ev));
  CHECK(mock.registered().size() == 1);
  CHECK(mock.results().at(0).task_id == "t1");
  CHECK(mock.heartbeats().at(0).status == "idle");
  CHECK(mock.emitted_events().at(0).event_id == "e1");
}

TEST_CASE(
    "a mock poll times out with no task, and bad task objects are consumed") {
  auto t = blocking_transport::create("mock://", "w1", "tok");
  REQUIRE(t);
  auto& mock = mock_of(**t);
  (*t)->connect();
  auto start = std::chrono::steady_clock::now();
  auto none = (*t)->poll_task(poll_for(0.05));
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  CHECK(std::chrono::steady_clock::now() - start
        >= std::chrono::milliseconds(50));
  mock.push_task(json::value{json::object{{"job_id", "j"}}});
  mock.push_task(json::value{
      json::object{{"job_id", "j2"}, {"task_id", "t2"}, {"type", "x"}}});
  auto bad = (*t)->poll_task(poll_for(1));
  REQUIRE(bad);
  CHECK_FALSE(bad->has_value());
  auto good = (*t)->poll_task(poll_for(1));
  REQUIRE(good);
  REQUIRE(good->has_value());
  CHECK((*good)->task_id == "t2");
}

TEST_CASE("a waiting mock poll is served by a task pushed later") {
  auto t = blocking_transport::create("mock://", "w1", "tok");
  REQUIRE(t);
  auto& mock = mock_of(**t);
  (*t)->connect();
  std::thread pusher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    mock.push_task(task_of("j", "late", "x"));
  });
  auto got = (*t)->poll_task(poll_for(10));
  pusher.join();
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK((*got)->task_id == "late");
}

TEST_CASE("mock commands reach the listener while connected") {
  // Declared before the transport, so they outlive whatever delivers.
  std::mutex m;
  std::vector<std::string> seen;
  auto t = blocking_transport::create("mock://", "w1", "tok");
  REQUIRE(t);
  auto& mock = mock_of(**t);
  mock.push_command(cmd_of("early"));
  (*t)->listen_for_commands([&](worker_command c) {
    std::lock_guard g{m};
    seen.push_back(c.command);
  });
  (*t)->connect();
  mock.push_command(json::value{json::object{{"nope", 1}}});
  mock.push_command(json::value{json::object{{"command", "late"}}});
  REQUIRE(rxon::test::wait_until([&] {
    std::lock_guard g{m};
    return seen.size() == 2;
  }));
  std::lock_guard g{m};
  CHECK(seen == std::vector<std::string>{"early", "late"});
}

TEST_CASE("the mock refresh sets the reference's refreshed token") {
  auto t = blocking_transport::create("mock://", "w1", "tok");
  REQUIRE(t);
  auto tok = (*t)->refresh_token();
  REQUIRE(tok);
  CHECK(tok->access_token == "refreshed-mock-token");
  CHECK(tok->expires_in == 3600);
  CHECK((*t)->async().token() == "refreshed-mock-token");
}
