// Crash recovery for real: a child process runs the orchestrator and a
// worker loop on a SQLite file and is killed with SIGKILL while tasks flow;
// the database is reopened and every task finishes exactly once.

#include "actors/orchestrator.hpp"
#include "storage/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <future>
#include <set>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace rxon;
using namespace rxon::actors;
using namespace rxon::test;
using namespace std::chrono_literals;

namespace {

constexpr int jobs_total = 20;
constexpr int tasks_per_job = 10;

template <class T, class F>
result<T> await(F&& f) {
  auto p = std::make_shared<std::promise<result<T>>>();
  auto fut = p->get_future();
  f([p](result<T> r) { p->set_value(std::move(r)); });
  if (fut.wait_for(10s) != std::future_status::ready)
    return error{errc::timeout, "no answer in time"};
  return fut.get();
}

/// The child: submit every job, then work until killed. Reports committed
/// acknowledgements on `out` ("J <job>" and "R <task>" lines).
[[noreturn]] void run_child(const std::string& db, int out) {
  auto say = [out](const std::string& line) {
    auto s = line + "\n";
    if (::write(out, s.data(), s.size()) < 0)
      ::_exit(3);
  };
  orchestrator_options opts;
  opts.db_path = db;
  auto o = orchestrator::start(opts);
  if (!o)
    ::_exit(2);
  auto& orch = **o;
  if (!await<json::value>(
          [&](auto cb) { orch.register_holon(holon_reg("w1", {"echo"}), cb); }))
    ::_exit(2);
  for (int j = 0; j < jobs_total; ++j) {
    std::vector<task_spec> tasks(tasks_per_job, task("echo"));
    auto ack = await<job_ack>([&](auto cb) { orch.submit(job(tasks), cb); });
    if (!ack)
      ::_exit(2);
    say("J " + ack->job_id);
  }
  for (;;) {
    auto t = await<std::optional<task_payload>>(
        [&](auto cb) { orch.poll(poll_req("w1", 1'000), cb); });
    if (!t || !*t)
      continue;
    auto r = await<json::value>([&](auto cb) {
      orch.post_result("w1",
                       success(**t, json::object{{"task", (*t)->task_id}}), cb);
    });
    if (r && r->find("status")->as_string() == "accepted")
      say("R " + (*t)->task_id);
  }
}

} // namespace

TEST_CASE("a SIGKILLed orchestrator loses no task and completes each once") {
  auto dir = std::filesystem::temp_directory_path()
             / ("rxon-crash-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto db = (dir / "rxon.db").string();
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    run_child(db, fds[1]);
  }
  ::close(fds[1]);
  // Read acknowledgements until all jobs are in and some results are
  // committed, then kill the child mid-flight.
  std::set<std::string> jobs;
  std::set<std::string> acked_results;
  FILE* in = ::fdopen(fds[0], "r");
  REQUIRE(in != nullptr);
  char line[256];
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline
         && (jobs.size() < jobs_total || acked_results.size() < 60)
         && std::fgets(line, sizeof line, in)) {
    std::string s{line};
    if (!s.empty() && s.back() == '\n')
      s.pop_back();
    if (s.rfind("J ", 0) == 0)
      jobs.insert(s.substr(2));
    else if (s.rfind("R ", 0) == 0)
      acked_results.insert(s.substr(2));
  }
  ::kill(pid, SIGKILL);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  std::fclose(in);
  REQUIRE(jobs.size() == jobs_total);
  REQUIRE(acked_results.size() >= 60);
  {
    orchestrator_options opts;
    opts.db_path = db;
    auto o = orchestrator::start(opts);
    REQUIRE(o);
    auto& orch = **o;
    CHECK(orch.recovered_tasks()
          <= jobs_total * tasks_per_job - acked_results.size());
    REQUIRE(await<json::value>(
        [&](auto cb) { orch.register_holon(holon_reg("w1", {"echo"}), cb); }));
    // Exactly the recovered tasks are left to do. (Counting from the acked
    // results instead would wait for tasks whose result was committed just
    // before the kill but never acknowledged to the parent.)
    std::size_t finished = 0;
    for (int i = 0; i < 1000 && finished < orch.recovered_tasks(); ++i) {
      auto t = await<std::optional<task_payload>>(
          [&](auto cb) { orch.poll(poll_req("w1", 200), cb); });
      REQUIRE(t);
      if (!*t)
        continue;
      CHECK(acked_results.count((*t)->task_id) == 0); // never redone
      auto r = await<json::value>([&](auto cb) {
        orch.post_result(
            "w1", success(**t, json::object{{"task", (*t)->task_id}}), cb);
      });
      REQUIRE(r);
      if (r->find("status")->as_string() == "accepted")
        ++finished;
    }
    orch.flush();
  }
  // Count in SQLite: every task of every acknowledged job succeeded once,
  // with the result its own worker run produced.
  auto store = storage::open_sqlite_store({db});
  REQUIRE(store);
  std::set<std::string> task_ids;
  for (const auto& j : jobs) {
    auto tasks = (*store)->tasks_of_job(j);
    REQUIRE(tasks);
    CHECK(tasks->size() == tasks_per_job);
    for (const auto& t : *tasks) {
      INFO(t.task_id);
      CHECK(t.state == storage::task_state::success);
      CHECK(*t.result.find("task") == json::value{t.task_id});
      task_ids.insert(t.task_id);
    }
  }
  CHECK(task_ids.size() == jobs_total * tasks_per_job);
  auto counts = (*store)->task_counts();
  REQUIRE(counts);
  CHECK((*counts)[storage::task_state::success] == jobs_total * tasks_per_job);
  std::filesystem::remove_all(dir);
}
