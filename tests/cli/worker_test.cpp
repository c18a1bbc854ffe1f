// `rxon worker` against the project's own `rxon serve`, both as real
// processes over loopback.

#include "tests/runtime/support/test_certs.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/loopback_server.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <fstream>

using namespace rxon;
using namespace rxon::test;

namespace {

const std::vector<std::string> terminal
    = {"success", "failure", "cancelled", "timeout", "quarantined"};

std::string state_of(const json::value& view) {
  const auto* s = view.find("state");
  return s && s->is_string() ? s->as_string() : "<no view>";
}

std::string error_text(const json::value& view) {
  const auto* e = view.find("error");
  return e ? json::to_string(*e) : "";
}

/// Submits an echo task {"round": n}; it must come back as it went.
void check_echo_round(serve_process& serve, int n) {
  auto id = serve.submit("echo", json::object{{"round", n}});
  auto view = serve.wait_state(id, terminal);
  CHECK(state_of(view) == "success");
  const auto* result = view.find("result");
  CHECK((result && *result == json::value{json::object{{"round", n}}}));
}

/// Whether a process is gone (or a zombie nobody reaps in this container).
bool process_gone(pid_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  if (!stat)
    return true;
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size()
         && (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

} // namespace

TEST_CASE("an echo worker completes tasks with their params as the result") {
  temp_dir dir;
  serve_process serve{dir.path()};
  REQUIRE(serve.ready());
  auto w = start_worker(dir.path(), serve.url(), "echo-1",
                        {"--echo", "--concurrency", "2"});
  REQUIRE(w->wait_for_log("registered", 20s));
  std::vector<std::pair<std::string, json::value>> tasks;
  for (int i = 0; i < 4; ++i) {
    json::value params = json::object{{"i", i}, {"s", "x y"}};
    auto id = serve.submit("echo", params);
    REQUIRE(!id.empty());
    tasks.emplace_back(id, params);
  }
  for (const auto& [id, params] : tasks) {
    auto view = serve.wait_state(id, terminal);
    CHECK(state_of(view) == "success");
    REQUIRE(view.find("result"));
    CHECK(*view.find("result") == params);
    CHECK(view.find("worker_id")->as_string() == "echo-1");
  }
}

TEST_CASE("tasks with requirements go to the worker whose resources match") {
  temp_dir dir;
  serve_process serve{dir.path()};
  REQUIRE(serve.ready());
  auto small = start_worker(
      dir.path(), serve.url(), "small",
      {"--echo", "--resources", R"({"properties":{"cpu_cores":2}})"});
  auto big = start_worker(
      dir.path(), serve.url(), "big",
      {"--echo", "--resources", R"({"properties":{"cpu_cores":16}})"});
  REQUIRE(small->wait_for_log("registered", 20s));
  REQUIRE(big->wait_for_log("registered", 20s));
  for (int i = 0; i < 3; ++i) {
    auto id = serve.submit(
        "echo", json::object{{"i", i}},
        json::object{{"properties", json::object{{"cpu_cores", 8}}}});
    REQUIRE(!id.empty());
    auto view = serve.wait_state(id, terminal);
    CHECK(state_of(view) == "success");
    CHECK(view.find("worker_id")->as_string() == "big");
  }
}

TEST_CASE("an exec worker returns stdout as JSON and fails with stderr") {
  temp_dir dir;
  serve_process serve{dir.path()};
  REQUIRE(serve.ready());
  auto cat = start_worker(dir.path(), serve.url(), "exec-cat",
                          {"--skills", "cat", "--exec", "cat"});
  auto fail = start_worker(
      dir.path(), serve.url(), "exec-fail",
      {"--skills", "fail", "--exec", "echo 'it broke' >&2; exit 3"});
  auto text = start_worker(dir.path(), serve.url(), "exec-text",
                           {"--skills", "text", "--exec", "echo not json"});
  auto killed = start_worker(dir.path(), serve.url(), "exec-killed",
                             {"--skills", "killed", "--exec", "kill -9 $$"});
  for (auto* w : {cat.get(), fail.get(), text.get(), killed.get()})
    REQUIRE(w->wait_for_log("registered", 20s));

  json::value params = json::object{{"n", 42}, {"list", json::array{1, "a"}}};
  auto ok = serve.submit("cat", params);
  auto bad = serve.submit("fail", json::object{});
  auto garbled = serve.submit("text", json::object{});
  REQUIRE(!ok.empty());
  REQUIRE(!bad.empty());
  REQUIRE(!garbled.empty());

  auto ok_view = serve.wait_state(ok, terminal);
  CHECK(state_of(ok_view) == "success");
  CHECK(*ok_view.find("result") == params);

  auto bad_view = serve.wait_state(bad, terminal);
  CHECK(state_of(bad_view) == "failure");
  auto err = error_text(bad_view);
  CHECK(err.find("PERMANENT_ERROR") != std::string::npos);
  CHECK(err.find("it broke") != std::string::npos);
  CHECK(err.find("\"exit_code\":3") != std::string::npos);

  auto garbled_view = serve.wait_state(garbled, terminal);
  CHECK(state_of(garbled_view) == "failure");
  CHECK(error_text(garbled_view).find("not JSON") != std::string::npos);

  // Killed by a signal: TRANSIENT_ERROR, which the orchestrator retries.
  auto sig = serve.submit("killed", json::object{});
  REQUIRE(!sig.empty());
  REQUIRE(killed->wait_for_log("TRANSIENT_ERROR", 20s));
  CHECK(killed->err().find("signal 9") != std::string::npos);
}

TEST_CASE("a client cancel kills a running exec task and the worker keeps "
          "serving") {
  temp_dir dir;
  serve_process serve{dir.path()};
  REQUIRE(serve.ready());
  auto pid_file = (dir.path() / "sleep.pid").string();
  // Slow inputs start `sleep 30` in the background and wait for it; the
  // others are echoed at once.
  auto cmd = "in=$(cat); case \"$in\" in *slow*) sleep 30 & echo $! > "
             + pid_file + "; wait;; esac; printf '%s' \"$in\"";
  auto w = start_worker(dir.path(), serve.url(), "exec-slow",
                        {"--skills", "job", "--exec", cmd});
  REQUIRE(w->wait_for_log("registered", 20s));
  auto slow = serve.submit("job", json::object{{"mode", "slow"}});
  REQUIRE(!slow.empty());
  pid_t sleep_pid = 0;
  REQUIRE(wait_until(
      [&] {
        std::ifstream in{pid_file};
        return static_cast<bool>(in >> sleep_pid) && sleep_pid > 0;
      },
      20s));
  CHECK_FALSE(process_gone(sleep_pid));
  auto started = std::chrono::steady_clock::now();
  CHECK(serve.cancel(slow) == 200);
  CHECK(wait_until([&] { return process_gone(sleep_pid); }, 10s));
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  CHECK(state_of(serve.task(slow)) == "cancelled");
  REQUIRE(w->wait_for_log("task cancelled", 10s));

  auto fast = serve.submit("job", json::object{{"mode", "fast"}});
  auto view = serve.wait_state(fast, terminal);
  CHECK(state_of(view) == "success");
  CHECK(*view.find("result") == json::value{json::object{{"mode", "fast"}}});
}

TEST_CASE("the worker keeps working through an orchestrator crash and "
          "restart") {
  temp_dir dir;
  auto serve = std::make_unique<serve_process>(dir.path());
  REQUIRE(serve->ready());
  auto port = serve->port();
  auto w = start_worker(dir.path(), serve->url(), "survivor", {"--echo"});
  INFO("worker log:\n" << w->err());
  REQUIRE(w->wait_for_log("registered", 20s));
  auto first = serve->submit("echo", json::object{{"round", 1}});
  CHECK(state_of(serve->wait_state(first, terminal)) == "success");

  serve->crash();
  // The worker notices the outage (poll, heartbeat or WebSocket fail).
  REQUIRE(w->wait_for_log("failed", 20s));
  serve = std::make_unique<serve_process>(dir.path(), port);
  REQUIRE(serve->ready());
  // A client saw the first task succeed, so the restart kept that.
  CHECK(state_of(serve->task(first)) == "success");
  // The registration survived in the store: with or without registering
  // again, the worker takes new tasks.
  check_echo_round(*serve, 2);
  CHECK(w->wait_exit(0ms) == std::nullopt); // still running
}

TEST_CASE("the worker registers again with an orchestrator that lost its "
          "state") {
  temp_dir dir;
  auto serve = std::make_unique<serve_process>(dir.path());
  REQUIRE(serve->ready());
  auto port = serve->port();
  auto w = start_worker(dir.path(), serve->url(), "amnesiac", {"--echo"});
  INFO("worker log:\n" << w->err());
  REQUIRE(w->wait_for_log("registered", 20s));

  serve->crash();
  REQUIRE(w->wait_for_log("failed", 20s));
  // A replacement on the same address with an empty database does not know
  // the worker: its polls get 404 until it registers again.
  serve = std::make_unique<serve_process>(
      dir.path(), serve_config{port, "fresh.db", {}, std::nullopt});
  REQUIRE(serve->ready());
  REQUIRE(wait_until([&] { return count(w->err(), "registered") >= 2; }, 20s));
  check_echo_round(*serve, 2);
}

TEST_CASE("SIGTERM makes the worker finish its in-flight task and exit 0") {
  temp_dir dir;
  serve_process serve{dir.path()};
  REQUIRE(serve.ready());
  auto w = start_worker(dir.path(), serve.url(), "sleeper",
                        {"--sleep-ms", "1500"});
  REQUIRE(w->wait_for_log("registered", 20s));
  auto id = serve.submit("sleep", json::object{});
  REQUIRE(!id.empty());
  REQUIRE(w->wait_for_log("task received", 20s));
  w->signal(SIGTERM);
  auto rc = w->wait_exit(20s);
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);
  auto view = serve.task(id);
  CHECK(state_of(view) == "success");
  CHECK(*view.find("result") == json::value{json::object{{"slept_ms", 1500}}});
  CHECK(w->err().find("worker stopped") != std::string::npos);
}

TEST_CASE("SIGTERM past the grace period returns the task as a transient "
          "failure") {
  temp_dir dir;
  serve_process serve{dir.path()};
  REQUIRE(serve.ready());
  auto w = start_worker(dir.path(), serve.url(), "slowpoke",
                        {"--sleep-ms", "60000", "--grace-ms", "200"});
  REQUIRE(w->wait_for_log("registered", 20s));
  auto id = serve.submit("sleep", json::object{});
  REQUIRE(w->wait_for_log("task received", 20s));
  w->signal(SIGTERM);
  auto rc = w->wait_exit(20s);
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);
  // Returned, not lost: the orchestrator took it back for another attempt.
  auto view = serve.task(id);
  CHECK(state_of(view) == "pending");
  CHECK(view.find("attempts")->as_int() == 1);
  CHECK(w->err().find("TRANSIENT_ERROR: task interrupted: worker shutting "
                      "down")
        != std::string::npos);
}

TEST_CASE("the worker authenticates with its client certificate over mTLS") {
  temp_dir dir;
  auto pki = make_test_pki();
  auto [tester_cert, tester_key] = pki->client("tester");
  serve_config cfg;
  // mtls-only: the worker token is ignored, only the certificate counts.
  cfg.flags = {"--tls-cert",
               pki->server_cert,
               "--tls-key",
               pki->server_key,
               "--tls-ca",
               pki->ca_cert,
               "--require-client-cert",
               "--auth-mode",
               "mtls-only"};
  cfg.tls = tls_client_files{pki->ca_cert, tester_cert, tester_key};
  serve_process serve{dir.path(), cfg};
  REQUIRE(serve.ready());
  auto [cert, key] = pki->client("secure-1");
  auto w = start_worker(dir.path(), serve.url(), "secure-1",
                        {"--echo", "--tls-ca", pki->ca_cert, "--tls-cert", cert,
                         "--tls-key", key});
  INFO("worker log:\n" << w->err());
  REQUIRE(w->wait_for_log("registered", 20s));
  auto id = serve.submit("echo", json::object{{"secure", true}});
  auto view = serve.wait_state(id, terminal);
  CHECK(state_of(view) == "success");
  CHECK(*view.find("result") == json::value{json::object{{"secure", true}}});
  CHECK(*view.find("worker_id") == json::value{"secure-1"});

  // Without a certificate the handshake fails: the worker never registers.
  auto bare = start_worker(dir.path(), serve.url(), "bare",
                           {"--echo", "--tls-ca", pki->ca_cert});
  REQUIRE(bare->wait_for_log("fail", 20s));
  CHECK(bare->err().find("registered") == std::string::npos);
}

TEST_CASE("worker TLS flags are checked") {
  temp_dir dir;
  std::optional<int> rc;
  auto p = run_rxon(dir.path(), "tls-flags",
                    {"worker", "--url", "https://127.0.0.1:1", "--id", "w",
                     "--token", "t", "--echo", "--tls-cert", "c.pem"},
                    rc);
  REQUIRE(rc.has_value());
  CHECK(*rc != 0);
  CHECK(p->err().find("--tls-key") != std::string::npos);
}

TEST_CASE("the worker signs its messages for an orchestrator that requires "
          "signatures") {
  temp_dir dir;
  serve_process serve{dir.path(),
                      0,
                      {"--require-signatures", "--worker-secrets",
                       "signed-1=s3cret,unsigned-1=other"}};
  REQUIRE(serve.ready());
  auto w = start_worker(dir.path(), serve.url(), "signed-1",
                        {"--echo", "--secret", "s3cret"});
  INFO("worker log:\n" << w->err());
  REQUIRE(w->wait_for_log("registered", 20s));
  auto id = serve.submit("echo", json::object{{"signed", true}});
  auto view = serve.wait_state(id, terminal);
  CHECK(state_of(view) == "success");
  CHECK(*view.find("result") == json::value{json::object{{"signed", true}}});
  // Heartbeats are signed too: none was refused.
  CHECK(w->err().find("Heartbeat failed") == std::string::npos);

  // Without the secret the registration is refused and names the problem.
  auto bare = start_worker(dir.path(), serve.url(), "unsigned-1", {"--echo"});
  INFO("unsigned worker log:\n" << bare->err());
  REQUIRE(bare->wait_for_log("registration refused", 20s));
  CHECK(bare->err().find("signed messages need") != std::string::npos);
  CHECK(bare->err().find("registered ") == std::string::npos);
}

TEST_CASE("the worker registers again when a heartbeat asks for a full sync") {
  temp_dir dir;
  std::atomic<int> heartbeats{0};
  auto answer = [](int status, std::string body) {
    server_response res;
    res.status = status;
    res.body = std::move(body);
    return res;
  };
  loopback_server server{[&](const server_request& r) {
    if (r.target == "/_worker/workers/register")
      return answer(200, R"({"status":"registered"})");
    if (r.method == "PATCH")
      return answer(200, ++heartbeats == 1
                             ? R"({"status":"ok","require_full_sync":true})"
                             : R"({"status":"ok"})");
    return answer(204, ""); // polls: nothing to do
  }};
  auto registrations = [&] {
    int n = 0;
    for (const auto& r : server.requests())
      n += r.target == "/_worker/workers/register" ? 1 : 0;
    return n;
  };
  auto w = start_worker(dir.path(), server.url(), "syncer", {"--echo"});
  INFO("worker log:\n" << w->err());
  REQUIRE(w->wait_for_log("registered", 20s));
  CHECK(wait_until([&] { return registrations() >= 2; }, 20s));
  CHECK(w->err().find("full sync") != std::string::npos);
  // One request is enough: the next heartbeats do not register again.
  auto settled = registrations();
  REQUIRE(wait_until([&] { return heartbeats.load() >= 4; }, 20s));
  CHECK(registrations() == settled);
}
