// The parts of `rxon worker` that need no orchestrator: argument parsing,
// the subprocess runner and the mapping of outcomes to TaskResults.

#include "runtime/worker/subprocess.hpp"
#include "runtime/worker/task_runner.hpp"
#include "runtime/worker/worker_options.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <thread>

using namespace rxon;
using namespace rxon::runtime;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> base() {
  return {"--url", "http://127.0.0.1:9", "--id", "w1", "--token", "t"};
}

std::string parse_error(std::vector<std::string> extra) {
  auto args = base();
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = parse_worker_args(args);
  return r ? "" : r.error().message;
}

task_payload payload(json::value params) {
  task_payload p;
  p.job_id = "j1";
  p.task_id = "t1";
  p.type = "exec";
  p.params = std::move(params);
  return p;
}

worker_options exec_options(std::string cmd) {
  worker_options o;
  o.mode = task_mode::exec;
  o.exec_command = std::move(cmd);
  return o;
}

} // namespace

TEST_CASE("worker arguments are parsed and bad ones name the flag") {
  auto args = base();
  args.insert(args.end(), {"--echo", "--concurrency=4", "--skills", "a,b",
                           "--resources", R"({"properties":{"cpu_cores":4}})"});
  auto o = parse_worker_args(args);
  REQUIRE(o);
  CHECK(o->mode == task_mode::echo);
  CHECK(o->concurrency == 4);
  CHECK(o->skills == std::vector<std::string>{"a", "b"});
  REQUIRE(o->resources);
  CHECK(json::to_string(o->resources->properties) == R"({"cpu_cores":4})");

  auto s = base();
  s.insert(s.end(), {"--sleep-ms", "25"});
  auto sleeper = parse_worker_args(s);
  REQUIRE(sleeper);
  CHECK(sleeper->sleep_ms == 25);
  CHECK(sleeper->skills == std::vector<std::string>{"sleep"});

  CHECK(parse_error({}).find("exactly one of") != std::string::npos);
  CHECK(parse_error({"--echo", "--exec", "cat"}).find("exactly one of")
        != std::string::npos);
  CHECK(parse_error({"--echo", "--concurrency", "0"}).find("--concurrency")
        != std::string::npos);
  CHECK(parse_error({"--echo", "--resources", "{"})
            .find("--resources: invalid JSON")
        != std::string::npos);
  CHECK(parse_error({"--echo", "--resources", R"({"devices":[{}]})"})
            .find("devices[0].type")
        != std::string::npos);
  CHECK(parse_error({"--echo", "--skills", "a,b c"}).find("'b c'")
        != std::string::npos);
  CHECK(parse_error({"--echo", "--bogus", "1"}) == "unknown flag --bogus");
  CHECK(parse_error({"--echo", "--sleep-ms"}).find("missing value")
        != std::string::npos);
  CHECK(!parse_worker_args({"--echo"}));
}

TEST_CASE("an exec task gets its params on stdin and returns stdout as data") {
  cancel_token cancel;
  auto res = run_task(exec_options("cat"),
                      payload(json::object{{"x", json::array{1, 2}}}), cancel);
  CHECK(res.status == "success");
  CHECK(res.job_id == "j1");
  CHECK(res.task_id == "t1");
  CHECK(json::to_string(res.data) == R"({"x":[1,2]})");
  CHECK_FALSE(res.error);
}

TEST_CASE("exec failures are permanent and deaths by signal transient") {
  cancel_token c1, c2, c3;
  auto exit3 = run_task(exec_options("echo oops >&2; exit 3"),
                        payload(json::object{}), c1);
  CHECK(exit3.status == "failure");
  REQUIRE(exit3.error);
  CHECK(exit3.error->code == "PERMANENT_ERROR");
  CHECK(exit3.error->message.find("status 3: oops") != std::string::npos);
  CHECK(json::to_string(exit3.error->details)
        == R"({"exit_code":3,"stderr":"oops\n"})");

  auto text = run_task(exec_options("echo hello"), payload(json::object{}), c2);
  REQUIRE(text.error);
  CHECK(text.error->code == "PERMANENT_ERROR");
  CHECK(text.error->message.find("not JSON") != std::string::npos);

  auto killed
      = run_task(exec_options("kill -TERM $$"), payload(json::object{}), c3);
  REQUIRE(killed.error);
  CHECK(killed.error->code == "TRANSIENT_ERROR");
  CHECK(killed.error->details.find("signal")->as_int() == SIGTERM);
}

TEST_CASE("cancelling kills the whole process group at once") {
  cancel_token cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms); // let the group start
    cancel.cancel("test");
  });
  auto started = std::chrono::steady_clock::now();
  // A grandchild in the same group keeps stdout open: only a group kill
  // ends this quickly.
  auto r = run_shell("sleep 30 & sleep 30; echo never", "", cancel);
  canceller.join();
  REQUIRE(r);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  CHECK(r->signal == SIGKILL);
  CHECK(r->out.empty());

  cancel_token early;
  early.cancel("before start");
  auto res = run_task(exec_options("sleep 30"), payload(json::object{}), early);
  REQUIRE(res.error);
  CHECK(res.error->code == "TRANSIENT_ERROR");
  CHECK(res.error->message == "task interrupted: before start");
}

TEST_CASE("large inputs and outputs pass through without deadlock") {
  cancel_token cancel;
  std::string big(1 << 20, 'x');
  auto r = run_shell("cat", big, cancel);
  REQUIRE(r);
  CHECK(r->exit_code == 0);
  CHECK(r->out == big);

  subprocess_limits small;
  small.max_stdout = 1000;
  auto capped = run_shell("cat", big, cancel, small);
  REQUIRE(capped);
  CHECK(capped->out_truncated);
}

TEST_CASE("sleep and echo modes return their documented results") {
  worker_options sleep;
  sleep.mode = task_mode::sleep;
  sleep.sleep_ms = 10;
  cancel_token c1;
  auto slept = run_task(sleep, payload(json::object{}), c1);
  CHECK(json::to_string(slept.data) == R"({"slept_ms":10})");

  worker_options echo;
  cancel_token c2;
  auto echoed = run_task(echo, payload(json::object{{"a", "b"}}), c2);
  CHECK(json::to_string(echoed.data) == R"({"a":"b"})");

  sleep.sleep_ms = 60000;
  cancel_token c3;
  std::thread canceller([&] { c3.cancel("stop"); });
  auto interrupted = run_task(sleep, payload(json::object{}), c3);
  canceller.join();
  REQUIRE(interrupted.error);
  CHECK(interrupted.error->code == "TRANSIENT_ERROR");
}
