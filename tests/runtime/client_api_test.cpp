// The client API (/api/v1) and operational endpoints over loopback.

#include "tests/runtime/support/fixture.hpp"

using namespace rxon;
using namespace rxon::test;

TEST_CASE("a client submits a job of thousands of tasks and reads it back") {
  listener_fixture fx;
  http_client c{fx.port()};
  std::string body = R"({"metadata":{"batch":7},"tasks":[)";
  for (int i = 0; i < 5000; ++i) {
    if (i)
      body += ',';
    body += R"({"type":"resize","params":{"i":)" + std::to_string(i)
            + R"(},"priority":2,"max_attempts":5,"deadline":1900000000,)"
              R"("max_cost":1.5,"requirements":{"properties":{"cpu_cores":4}},)"
              R"("skill":{"version":"2"}})";
  }
  body += "]}";
  auto ack = c.request("POST", "/api/v1/jobs", body, client_headers());
  REQUIRE(ack.status == 202);
  auto v = ack.json();
  CHECK(v.find("task_ids")->as_array().size() == 5000);
  auto jobs = fx.fake.snapshot().jobs;
  REQUIRE(jobs.size() == 1);
  const auto& t = jobs[0].tasks[4999];
  CHECK(jobs[0].owner == "client-a");
  CHECK(t.max_attempts == 5);
  CHECK(t.deadline == 1900000000);
  CHECK(t.skill->name == "resize");
  CHECK(t.skill->version == "2");
  CHECK(t.requirements->properties.find("cpu_cores")->as_int() == 4);
  CHECK(jobs[0].metadata.find("batch")->as_int() == 7);

  auto job_id = v.find("job_id")->as_string();
  auto got = c.request("GET", "/api/v1/jobs/" + job_id, {}, client_headers());
  CHECK(got.status == 200);
  CHECK(got.json().find("job_id")->as_string() == job_id);
  auto list = c.request("GET", "/api/v1/jobs?status=pending&limit=10&offset=0",
                        {}, client_headers());
  CHECK(list.status == 200);
  CHECK(list.json().find("jobs")->as_array().size() == 1);
  CHECK(list.json().find("limit")->as_int() == 10);
  auto bogus
      = c.request("GET", "/api/v1/jobs?status=bogus", {}, client_headers());
  CHECK(bogus.status == 400);
  CHECK(bogus.body.find("status: expected pending") != std::string::npos);
}

TEST_CASE("a single task submission answers job_id and task_id") {
  listener_fixture fx;
  http_client c{fx.port()};
  auto ack = c.request("POST", "/api/v1/tasks",
                       R"({"type":"crop","params":{"x":1}})", client_headers());
  REQUIRE(ack.status == 202);
  CHECK(ack.json().find("task_id")->is_string());
  CHECK(ack.json().find("job_id")->is_string());
}

TEST_CASE("client API errors name the problem") {
  listener_fixture fx;
  http_client c{fx.port()};
  auto no_token = c.request("GET", "/api/v1/workers");
  CHECK(no_token.status == 401);
  CHECK(no_token.json().find("error")->as_string()
        == "missing X-Client-Token header");
  CHECK(
      c.request("GET", "/api/v1/workers", {}, {{"X-Client-Token", "x"}}).status
      == 401);
  auto bad_task = c.request("POST", "/api/v1/jobs",
                            R"({"tasks":[{"type":"ok"},{"params":{}}]})",
                            client_headers());
  CHECK(bad_task.status == 400);
  CHECK(bad_task.json().find("error")->as_string() == "tasks[1].type: missing");
  auto bad_req = c.request(
      "POST", "/api/v1/jobs",
      R"({"tasks":[{"type":"ok","requirements":{"devices":[{"model":"x"}]}}]})",
      client_headers());
  CHECK(bad_req.status == 400);
  CHECK(bad_req.json().find("error")->as_string().starts_with(
      "tasks[0].requirements.devices[0].type"));
  CHECK(c.request("GET", "/api/v1/jobs?limit=abc", {}, client_headers()).status
        == 400);
  auto missing = c.request("GET", "/api/v1/jobs/nope", {}, client_headers());
  CHECK(missing.status == 404);
  CHECK(missing.json().find("error")->as_string() == "job 'nope' not found");
  CHECK(
      c.request("POST", "/api/v1/tasks/t1/cancel", {}, client_headers()).status
      == 404);
}

TEST_CASE("workers, holarchy, health and metrics are served") {
  listener_fixture fx;
  http_client c{fx.port()};
  REQUIRE(c.request("POST", "/_worker/workers/register",
                    R"({"worker_id":"w1"})", worker_headers("w1", "token-w1"))
              .status
          == 200);
  auto workers = c.request("GET", "/api/v1/workers", {}, client_headers());
  CHECK(workers.status == 200);
  CHECK(workers.json().find("workers")->as_array().size() == 1);
  auto tree = c.request("GET", "/api/v1/holarchy", {}, client_headers());
  CHECK(tree.json().find("id")->as_string() == "root");
  CHECK(c.request("GET", "/health").json().find("status")->as_string() == "ok");
  auto m = c.request("GET", "/metrics");
  CHECK(m.status == 200);
  CHECK(m.header("content-type").starts_with("text/plain"));
  CHECK(m.body.find(R"(route="worker_register",status="200"} 1)")
        != std::string::npos);
}
