// A `rxon serve` child process killed with SIGKILL in the middle of a job
// and restarted on the same SQLite file loses no task and completes none
// twice.

#include "protocol/codec.hpp"
#include "tests/runtime/support/child_process.hpp"
#include "tests/runtime/support/e2e_fixture.hpp"

#include <sqlite3.h>

#include <csignal>
#include <map>

using namespace rxon;
using namespace rxon::test;

namespace {

const char* rxon_binary() {
  const char* env = std::getenv("RXON_BINARY");
  return env && *env ? env : RXON_BINARY;
}

/// Starts `rxon serve` on an ephemeral port; returns the port (0: failed).
uint16_t start_serve(std::unique_ptr<child_process>& child,
                     const std::string& db) {
  child = std::make_unique<child_process>(std::vector<std::string>{
      rxon_binary(), "serve", "--listen", "127.0.0.1:0", "--db", db,
      "--worker-token", "global-secret", "--client-token", "alice-token=alice",
      "--log-format", "json", "--max-poll-timeout-ms", "2000",
      "--grace-period-ms", "1000"});
  REQUIRE(child->running());
  auto line = child->wait_for_line("rxon serve ready", 20s);
  REQUIRE_MESSAGE(line, child->output());
  auto v = json::parse(*line);
  REQUIRE(v);
  auto url = str(*v, "url");
  auto colon = url.rfind(':');
  REQUIRE(colon != std::string::npos);
  return static_cast<uint16_t>(std::stoi(url.substr(colon + 1)));
}

header_list global_worker() {
  return {{"X-Worker-ID", "w1"},
          {"X-Worker-Token", "global-secret"},
          {"X-RXON-Version", "1.0b13"}};
}

int64_t sqlite_count(const std::string& db, const char* sql) {
  sqlite3* h = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr)
      == SQLITE_OK) {
    sqlite3_busy_timeout(h, 5000); // the live server's writer may hold a lock
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

struct work_log {
  std::map<std::string, int> accepted; ///< task_id -> accepted results
};

/// Polls and completes up to `limit` tasks; returns how many it completed.
int work(uint16_t port, work_log& log, int limit) {
  http_client w{port};
  int done = 0;
  for (int i = 0; i < limit; ++i) {
    auto got = w.request("GET", "/_worker/workers/w1/tasks/next?timeout=0.5",
                         {}, global_worker());
    if (got.status == 204)
      break;
    REQUIRE(got.status == 200);
    auto t = decode<task_payload>(got.body);
    REQUIRE(t);
    auto res
        = w.request("POST", "/_worker/tasks/result",
                    result_body("w1", t->job_id, t->task_id), global_worker());
    REQUIRE(res.status == 200);
    if (str(res.json(), "status") == "accepted") {
      ++log.accepted[t->task_id];
      ++done;
    }
  }
  return done;
}

} // namespace

TEST_CASE("a SIGKILLed serve process restarted on its database keeps every "
          "task") {
  constexpr int total = 60;
  temp_dir dir;
  auto db = (dir.path() / "rxon.db").string();
  std::unique_ptr<child_process> serve;
  auto port = start_serve(serve, db);
  work_log log;
  std::string job;
  std::vector<std::string> ids;
  {
    http_client c{port};
    http_client w{port};
    REQUIRE(w.request("POST", "/_worker/workers/register",
                      registration_body("w1"), global_worker())
                .status
            == 200);
    auto ack = c.request("POST", "/api/v1/jobs", job_body(total), client());
    REQUIRE(ack.status == 202);
    job = str(ack.json(), "job_id");
    auto acked = ack.json();
    for (const auto& id : acked.find("task_ids")->as_array())
      ids.push_back(id.as_string());
  }
  CHECK(work(port, log, 25) == 25);
  // One task is leased and in flight when the process dies.
  std::string in_flight;
  {
    http_client w{port};
    auto got = w.request("GET", "/_worker/workers/w1/tasks/next?timeout=0.5",
                         {}, global_worker());
    REQUIRE(got.status == 200);
    in_flight = decode<task_payload>(got.body)->task_id;
  }
  serve->signal(SIGKILL);
  REQUIRE(serve->wait(10s) == -SIGKILL);

  port = start_serve(serve, db);
  REQUIRE(serve->output().find("\"recovered_tasks\"") != std::string::npos);
  {
    http_client w{port};
    auto late = w.request("POST", "/_worker/tasks/result",
                          result_body("w1", job, in_flight), global_worker());
    REQUIRE(late.status == 200);
    if (str(late.json(), "status") == "accepted")
      ++log.accepted[in_flight];
  }
  work(port, log, 2 * total);

  http_client c{port};
  auto view = c.request("GET", "/api/v1/jobs/" + job, {}, client());
  REQUIRE(view.status == 200);
  CHECK(str(view.json(), "status") == "finished");
  CHECK(log.accepted.size() == static_cast<std::size_t>(total));
  for (const auto& id : ids) {
    CAPTURE(id);
    CHECK(log.accepted[id] == 1);
    auto t = c.request("GET", "/api/v1/tasks/" + id, {}, client());
    CHECK(t.status == 200);
    CHECK(str(t.json(), "state") == "success");
  }
  serve->signal(SIGTERM);
  CHECK(serve->wait(15s) == 0);
  CHECK(sqlite_count(db, "SELECT count(*) FROM tasks") == total);
  CHECK(sqlite_count(db, "SELECT count(*) FROM tasks WHERE state='success'")
        == total);
  CHECK(sqlite_count(db, "SELECT count(DISTINCT task_id) FROM tasks WHERE "
                         "state='success'")
        == total);
}

// A job reloaded after a restart holds only its unfinished tasks in memory;
// its view must still count the tasks that finished before the restart.
TEST_CASE("the job view after a restart counts tasks finished before it") {
  temp_dir dir;
  auto db = (dir.path() / "rxon.db").string();
  auto start = [&] {
    actors::orchestrator_options oo;
    oo.db_path = db;
    auto o = actors::orchestrator::start(std::move(oo));
    REQUIRE(o);
    return std::move(*o);
  };
  std::string job;
  {
    auto orch = start();
    runtime::server srv{*orch, e2e_listener_options()};
    REQUIRE(srv.start());
    http_client c{srv.port()};
    REQUIRE(c.request("POST", "/_worker/workers/register",
                      registration_body("w1"), worker("w1"))
                .status
            == 200);
    auto ack = c.request("POST", "/api/v1/jobs", job_body(2), client());
    job = str(ack.json(), "job_id");
    auto got = c.request("GET", "/_worker/workers/w1/tasks/next?timeout=1", {},
                         worker("w1"));
    auto t = decode<task_payload>(got.body);
    REQUIRE(t);
    REQUIRE(str(c.request("POST", "/_worker/tasks/result",
                          result_body("w1", job, t->task_id), worker("w1"))
                    .json(),
                "status")
            == "accepted");
    srv.stop();
  }
  auto orch = start();
  runtime::server srv{*orch, e2e_listener_options()};
  REQUIRE(srv.start());
  http_client c{srv.port()};
  auto view = c.request("GET", "/api/v1/jobs/" + job, {}, client());
  REQUIRE(view.status == 200);
  auto body = view.json();
  const auto* counts = body.find("counts");
  REQUIRE(counts);
  const auto* success = counts->find("success");
  CHECK((success && success->as_int() == 1));
}
