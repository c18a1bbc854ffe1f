// End to end against the real runtime (actors + SQLite file + listener):
// the whole worker lifecycle and WebSocket cancellation.

#include "protocol/codec.hpp"
#include "tests/runtime/support/e2e_fixture.hpp"

using namespace rxon;
using namespace rxon::test;

namespace {

/// Submits a job of `n` resize tasks as alice; returns (job_id, task_ids).
std::pair<std::string, std::vector<std::string>> submit(http_client& c, int n) {
  auto ack = c.request("POST", "/api/v1/jobs", job_body(n), client());
  REQUIRE(ack.status == 202);
  std::vector<std::string> ids;
  auto acked = ack.json();
  for (const auto& id : acked.find("task_ids")->as_array())
    ids.push_back(id.as_string());
  return {str(ack.json(), "job_id"), ids};
}

std::string task_state(http_client& c, const std::string& id) {
  return str(c.request("GET", "/api/v1/tasks/" + id, {}, client()).json(),
             "state");
}

} // namespace

TEST_CASE("a worker goes through its whole lifecycle against the runtime") {
  e2e_fixture fx;
  http_client w{fx.port()};
  http_client c{fx.port()};
  auto h = worker("w1");

  auto reg = w.request("POST", "/_worker/workers/register",
                       registration_body("w1"), h);
  REQUIRE(reg.status == 200);
  CHECK(reg.header("x-rxon-version") == "1.0b13");

  auto empty
      = w.request("GET", "/_worker/workers/w1/tasks/next?timeout=0.2", {}, h);
  CHECK(empty.status == 204);
  CHECK(empty.body.empty());
  CHECK(empty.header("x-rxon-version") == "1.0b13");

  auto [job, ids] = submit(c, 3);
  auto got = w.request("GET",
                       "/_worker/workers/w1/tasks/"
                       "next?timeout=1.0&available_skills=resize",
                       {}, h);
  REQUIRE(got.status == 200);
  auto task = decode<task_payload>(got.body);
  REQUIRE(task);
  CHECK(task->job_id == job);
  CHECK(task->type == "resize");
  CHECK(task_state(c, task->task_id) == "assigned");

  auto hb_empty = w.request("PATCH", "/_worker/workers/w1", {}, h);
  CHECK(hb_empty.status == 200);
  CHECK(str(hb_empty.json(), "status") == "ok");
  // A task the orchestrator does not know must be stopped by the worker.
  auto hb
      = w.request("PATCH", "/_worker/workers/w1",
                  R"({"current_tasks":[")" + task->task_id
                      + R"(","ghost-task"],"status":"busy","worker_id":"w1"})",
                  h);
  REQUIRE(hb.status == 200);
  auto hb_body = hb.json();
  const auto* cancel_ids = hb_body.find("cancel_task_ids");
  REQUIRE(cancel_ids);
  REQUIRE(cancel_ids->as_array().size() == 1);
  CHECK(cancel_ids->as_array()[0].as_string() == "ghost-task");

  auto ev = w.request("POST", "/_worker/events",
                      R"({"event_id":"e1","event_type":"progress",)"
                      R"("origin_task_id":")"
                          + task->task_id
                          + R"(","origin_worker_id":"w1","payload":{"pct":50},)"
                            R"("worker_id":"w1"})",
                      h);
  CHECK(ev.status == 200);
  CHECK(str(ev.json(), "status") == "event_accepted");
  CHECK(task_state(c, task->task_id) == "running");

  // Another worker's result for w1's task changes nothing.
  http_client w2{fx.port()};
  auto hijack = w2.request("POST", "/_worker/tasks/result",
                           result_body("w2", job, task->task_id), worker("w2"));
  CHECK(hijack.status == 200);
  CHECK(str(hijack.json(), "status") == "ignored");
  CHECK(str(hijack.json(), "reason") == "worker_mismatch");

  auto res = w.request("POST", "/_worker/tasks/result",
                       result_body("w1", job, task->task_id), h);
  CHECK(res.status == 200);
  CHECK(str(res.json(), "status") == "accepted");
  auto dup = w.request("POST", "/_worker/tasks/result",
                       result_body("w1", job, task->task_id), h);
  CHECK(dup.status == 200);
  CHECK(str(dup.json(), "status") == "ignored");
  CHECK(str(dup.json(), "reason") == "stale_task");

  auto done = c.request("GET", "/api/v1/tasks/" + task->task_id, {}, client());
  REQUIRE(done.status == 200);
  CHECK(str(done.json(), "state") == "success");
  CHECK(str(done.json(), "worker_id") == "w1");
  CHECK(done.json().find("result")->find("ok")->as_bool());
}

TEST_CASE("events over the WebSocket and cancellation reach the worker") {
  e2e_fixture fx;
  http_client w{fx.port()};
  http_client c{fx.port()};
  auto h = worker("w1");
  REQUIRE(
      w.request("POST", "/_worker/workers/register", registration_body("w1"), h)
          .status
      == 200);
  ws_client ws{fx.port()};
  REQUIRE(ws.connect("/_worker/ws/w1", h) == 101);

  auto [job, ids] = submit(c, 2);
  auto got
      = w.request("GET", "/_worker/workers/w1/tasks/next?timeout=1", {}, h);
  REQUIRE(got.status == 200);
  auto task = decode<task_payload>(got.body);
  REQUIRE(task);

  // The event travels over the socket and marks the task running.
  REQUIRE(ws.send_text(R"({"event_id":"e-ws","event_type":"progress",)"
                       R"("origin_task_id":")"
                       + task->task_id
                       + R"(","origin_worker_id":"w1","payload":{},)"
                         R"("worker_id":"w1"})"));
  CHECK(within(5s, [&] { return task_state(c, task->task_id) == "running"; }));

  auto cancelled = c.request(
      "POST", "/api/v1/tasks/" + task->task_id + "/cancel", {}, client());
  CHECK(cancelled.status == 200);
  auto frame = ws.read_text(5s);
  REQUIRE(frame);
  auto cmd = decode<worker_command>(*frame);
  REQUIRE(cmd);
  CHECK(cmd->command == "cancel_task");
  CHECK(cmd->task_id == task->task_id);
  CHECK(cmd->job_id == job);
  CHECK(task_state(c, task->task_id) == "cancelled");

  // The next heartbeat repeats the cancellation; a late result is ignored.
  auto hb = w.request("PATCH", "/_worker/workers/w1", {}, h);
  REQUIRE(hb.json().find("cancel_task_ids"));
  CHECK(hb.json().find("cancel_task_ids")->as_array()[0].as_string()
        == task->task_id);
  auto late = w.request("POST", "/_worker/tasks/result",
                        result_body("w1", job, task->task_id), h);
  CHECK(str(late.json(), "reason") == "job_cancelled");
}
