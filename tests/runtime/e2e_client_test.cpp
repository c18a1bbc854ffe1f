// End to end against the real runtime: the client API, the operational
// endpoints and every error status.

#include "protocol/codec.hpp"
#include "tests/runtime/support/e2e_fixture.hpp"

using namespace rxon;
using namespace rxon::test;

namespace {

int64_t count_of(const json::value& job, const char* state) {
  const auto* counts = job.find("counts");
  const auto* n = counts ? counts->find(state) : nullptr;
  return n ? n->as_int() : 0;
}

} // namespace

TEST_CASE("a client submits, follows, lists and cancels jobs on the runtime") {
  e2e_fixture fx;
  http_client c{fx.port()};
  http_client w{fx.port()};
  auto h = worker("w1");
  REQUIRE(
      w.request("POST", "/_worker/workers/register", registration_body("w1"), h)
          .status
      == 200);

  auto big = c.request("POST", "/api/v1/jobs", job_body(500), client());
  REQUIRE(big.status == 202);
  auto big_id = str(big.json(), "job_id");
  CHECK(big.json().find("task_ids")->as_array().size() == 500);
  auto view = c.request("GET", "/api/v1/jobs/" + big_id, {}, client());
  REQUIRE(view.status == 200);
  CHECK(str(view.json(), "status") == "pending");
  CHECK(count_of(view.json(), "pending") == 500);

  // Work through a small job and read the results back.
  auto small = c.request("POST", "/api/v1/tasks",
                         R"({"type":"resize","params":{"w":1},"priority":9})",
                         client());
  REQUIRE(small.status == 202);
  auto small_job = str(small.json(), "job_id");
  auto small_task = str(small.json(), "task_id");
  auto got
      = w.request("GET", "/_worker/workers/w1/tasks/next?timeout=1", {}, h);
  REQUIRE(got.status == 200);
  auto task = decode<task_payload>(got.body);
  REQUIRE(task);
  CHECK(task->task_id == small_task); // the higher priority goes first
  REQUIRE(str(w.request("POST", "/_worker/tasks/result",
                        result_body("w1", small_job, small_task), h)
                  .json(),
              "status")
          == "accepted");
  auto t = c.request("GET", "/api/v1/tasks/" + small_task, {}, client());
  REQUIRE(t.status == 200);
  CHECK(str(t.json(), "state") == "success");
  CHECK(t.json().find("result")->find("ok")->as_bool());
  auto finished = c.request("GET", "/api/v1/jobs/" + small_job, {}, client());
  CHECK(str(finished.json(), "status") == "finished");
  CHECK(count_of(finished.json(), "success") == 1);

  auto list = c.request("GET", "/api/v1/jobs?status=finished", {}, client());
  REQUIRE(list.status == 200);
  auto listed = list.json();
  const auto& jobs = listed.find("jobs")->as_array();
  REQUIRE(jobs.size() == 1);
  CHECK(str(jobs[0], "job_id") == small_job);
  auto pending = c.request("GET", "/api/v1/jobs?status=pending", {}, client());
  REQUIRE(pending.json().find("jobs")->as_array().size() == 1);
  CHECK(str(pending.json().find("jobs")->as_array()[0], "job_id") == big_id);

  // Bob sees none of alice's work.
  CHECK(c.request("GET", "/api/v1/jobs/" + big_id, {}, client("bob")).status
        == 404);
  CHECK(
      c.request("POST", "/api/v1/jobs/" + big_id + "/cancel", {}, client("bob"))
          .status
      == 404);
  CHECK(c.request("GET", "/api/v1/jobs", {}, client("bob"))
            .json()
            .find("jobs")
            ->as_array()
            .empty());

  REQUIRE(view.json().find("tasks"));
  auto cancel_task = c.request(
      "POST",
      "/api/v1/tasks/" + big.json().find("task_ids")->as_array()[0].as_string()
          + "/cancel",
      {}, client());
  CHECK(cancel_task.status == 200);
  auto cancel_job
      = c.request("POST", "/api/v1/jobs/" + big_id + "/cancel", {}, client());
  CHECK(cancel_job.status == 200);
  auto after = c.request("GET", "/api/v1/jobs/" + big_id, {}, client());
  CHECK(str(after.json(), "status") == "cancelled");
  CHECK(count_of(after.json(), "cancelled") == 500);
  CHECK(w.request("GET", "/_worker/workers/w1/tasks/next?timeout=0.1", {}, h)
            .status
        == 204);

  auto workers = c.request("GET", "/api/v1/workers", {}, client());
  REQUIRE(workers.status == 200);
  CHECK(workers.body.find("\"w1\"") != std::string::npos);
  auto holarchy = c.request("GET", "/api/v1/holarchy", {}, client());
  CHECK(holarchy.status == 200);
  CHECK(holarchy.body.find("\"w1\"") != std::string::npos);
}

TEST_CASE("metrics, health and readiness come from the runtime") {
  e2e_fixture fx;
  http_client c{fx.port()};
  REQUIRE(c.request("POST", "/api/v1/jobs", job_body(4), client()).status
          == 202);
  auto health = c.request("GET", "/health");
  CHECK(health.status == 200);
  CHECK(health.header("x-rxon-version") == "1.0b13");
  CHECK(c.request("GET", "/ready").status == 200);
  auto m = c.request("GET", "/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.header("content-type").starts_with("text/plain"));
  CHECK(m.body.find("rxon_tasks{state=\"pending\"} 4") != std::string::npos);
  CHECK(m.body.find("rxon_http_requests_total{route=\"jobs_submit\"")
        != std::string::npos);
}

TEST_CASE("every error status comes back from the runtime with a JSON body") {
  auto o = e2e_listener_options();
  o.rate_limits
      .limits[static_cast<std::size_t>(runtime::message_kind::heartbeat)]
      = {0.5, 1};
  e2e_fixture fx{o};
  http_client c{fx.port()};
  auto h = worker("w1");
  auto expect = [&](const http_reply& r, int status) {
    CHECK(r.status == status);
    CHECK(r.header("x-rxon-version") == "1.0b13");
    CHECK(r.json().find("error"));
  };
  expect(c.request("POST", "/api/v1/jobs", "{nope", client()), 400);
  expect(c.request("POST", "/_worker/workers/register", registration_body("w1"),
                   {{"X-Worker-ID", "w1"}, {"X-Worker-Token", "wrong"}}),
         401);
  expect(c.request("GET", "/api/v1/jobs"), 401);
  // w1 is authenticated but registers as somebody else.
  expect(c.request("POST", "/_worker/workers/register", registration_body("w2"),
                   h),
         403);
  expect(c.request("GET", "/api/v1/jobs/no-such-job", {}, client()), 404);
  expect(c.request("GET", "/api/v1/tasks/no-such-task", {}, client()), 404);
  auto huge = c.request("POST", "/api/v1/jobs", job_body(8000), client());
  CHECK(huge.status == 413);
  http_client fresh{fx.port()};
  CHECK(fresh.request("PATCH", "/_worker/workers/w1", {}, h).status == 200);
  auto limited = fresh.request("PATCH", "/_worker/workers/w1", {}, h);
  expect(limited, 429);
  CHECK(limited.header("retry-after") == "2");
  CHECK(str(limited.json(), "code") == "LIMIT_EXCEEDED_ERROR");
}
