// Real holarchies over loopback: a root `rxon serve`, mid `rxon serve
// --uplink` processes under it and `rxon worker` processes under each mid.

#include "runtime/transport/blocking_transport.hpp"
#include "tests/runtime/support/test_client.hpp"
#include "tests/support/cluster.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <thread>

using namespace rxon;
using namespace rxon::test;

namespace {

const std::vector<std::string> terminal
    = {"success", "failure", "cancelled", "timeout", "quarantined"};

std::string field(const json::value& v, const char* name) {
  const auto* f = v.find(name);
  return f && f->is_string() ? f->as_string() : "";
}

std::vector<std::string> uplink_flags(const serve_process& parent,
                                      const std::string& id) {
  return {"--uplink",       parent.url(), "--uplink-id",           id,
          "--uplink-token", worker_token, "--uplink-heartbeat-ms", "300",
          "--holon-ttl-ms", "1500"};
}

/// Whether `serve` lists holon `id` offering `skill`.
bool offers(serve_process& serve, const std::string& id,
            const std::string& skill) {
  auto w = serve.workers();
  const auto* list = w.find("workers");
  if (!list || !list->is_array())
    return false;
  for (const auto& h : list->as_array()) {
    if (field(h, "worker_id") != id)
      continue;
    const auto* skills = h.find("skills");
    if (!skills || !skills->is_array())
      return false;
    for (const auto& s : skills->as_array())
      if (s.is_string() && s.as_string() == skill)
        return true;
  }
  return false;
}

/// The first event stored for `task_id` at `serve`, waited for (bounded);
/// null when none arrives.
json::value first_event(serve_process& serve, const std::string& task_id) {
  json::value events;
  wait_until(
      [&] {
        events = serve.events(task_id);
        const auto* list = events.find("events");
        return list && list->is_array() && !list->as_array().empty();
      },
      10s);
  const auto* list = events.find("events");
  return list && list->is_array() && !list->as_array().empty()
             ? list->as_array().front()
             : json::value{};
}

/// A leaf driven by the test through the transport library: it takes one
/// `probe` task, reports progress, and succeeds.
struct probe_leaf {
  std::unique_ptr<runtime::blocking_transport> t;
  std::thread th;
  bool done = false;

  probe_leaf(const std::string& url, const std::string& id) {
    auto made = runtime::blocking_transport::create(url, id, worker_token);
    REQUIRE(made);
    t = std::move(*made);
    t->connect();
    worker_registration reg;
    reg.worker_id = id;
    skill_info s;
    s.name = "probe";
    reg.supported_skills = std::vector<skill_info>{s};
    REQUIRE(t->register_worker(reg));
    th = std::thread([this, id] {
      auto until = std::chrono::steady_clock::now() + 20s;
      while (std::chrono::steady_clock::now() < until) {
        runtime::poll_request req;
        req.timeout = 1;
        auto got = t->poll_task(req);
        if (!got || !*got)
          continue;
        const auto& task = **got;
        worker_event ev;
        ev.event_id = "progress-" + task.task_id;
        ev.worker_id = id;
        ev.origin_worker_id = id;
        ev.event_type = "progress";
        ev.payload = json::object{{"progress", 0.5}};
        ev.target_job_id = task.job_id;
        ev.target_task_id = task.task_id;
        (void)t->emit_event(ev);
        task_result res;
        res.job_id = task.job_id;
        res.task_id = task.task_id;
        res.data = json::object{{"probed", true}};
        done = t->send_result(res).has_value();
        return;
      }
    });
  }
  ~probe_leaf() {
    th.join();
    t->close();
  }
};

} // namespace

TEST_CASE("tasks submitted at the root of a three-level holarchy run at the "
          "leaves, report progress through the chain and can be cancelled") {
  temp_dir dir;
  serve_process root{dir.path() / "root"};
  REQUIRE(root.ready());
  serve_process mid_a{dir.path() / "mid-a", 0, uplink_flags(root, "mid-a")};
  serve_process mid_b{dir.path() / "mid-b", 0, uplink_flags(root, "mid-b")};
  REQUIRE(mid_a.ready());
  REQUIRE(mid_b.ready());
  auto leaf_a = start_worker(dir.path(), mid_a.url(), "leaf-a",
                             {"--echo", "--concurrency", "2"});
  auto leaf_b = start_worker(dir.path(), mid_b.url(), "leaf-b",
                             {"--echo", "--concurrency", "2"});
  auto sleeper = start_worker(dir.path(), mid_b.url(), "sleeper-b",
                              {"--sleep-ms", "20000", "--skills", "slow"});
  probe_leaf probe{mid_a.url(), "probe-a"};
  REQUIRE(wait_until(
      [&] {
        return offers(root, "mid-a", "echo") && offers(root, "mid-a", "probe")
               && offers(root, "mid-b", "echo")
               && offers(root, "mid-b", "slow");
      },
      20s));

  // Tasks complete at leaves; the root names the leaf that ran each.
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    ids.push_back(root.submit("echo", json::object{{"i", i}}));
    REQUIRE(!ids.back().empty());
  }
  for (const auto& id : ids) {
    auto view = root.wait_state(id, terminal);
    CHECK(field(view, "state") == "success");
    auto origin = field(view, "origin_worker_id");
    CHECK_MESSAGE((origin == "leaf-a" || origin == "leaf-b"), origin);
    auto via = field(view, "worker_id");
    CHECK_MESSAGE((via == "mid-a" || via == "mid-b"), via);
  }

  // A progress event from a leaf reaches the root with the relay chain.
  auto probe_id = root.submit("probe", json::object{});
  auto probed = root.wait_state(probe_id, terminal);
  CHECK(field(probed, "state") == "success");
  CHECK(field(probed, "origin_worker_id") == "probe-a");
  auto ev = first_event(root, probe_id);
  REQUIRE(ev.is_object());
  CHECK(field(ev, "origin_worker_id") == "probe-a");
  CHECK(field(ev, "sender") == "mid-a");
  CHECK(field(ev, "event_type") == "progress");
  REQUIRE(ev.find("bubbling_chain"));
  CHECK(*ev.find("bubbling_chain") == json::value{json::array{"mid-a"}});

  // A cancel at the root stops the leaf.
  auto slow = root.submit("slow", json::object{});
  REQUIRE(sleeper->wait_for_log("task received", 20s));
  CHECK(root.cancel(slow) == 200);
  CHECK(sleeper->wait_for_log("cancelling task", 10s));
  CHECK(field(root.task(slow), "state") == "cancelled");
}

TEST_CASE("killing a mid orchestrator sends its tasks to the other mid and "
          "every task succeeds once") {
  temp_dir dir;
  serve_process root{dir.path() / "root",
                     0,
                     {"--holon-ttl-ms", "1500", "--retry-base-ms", "50"}};
  REQUIRE(root.ready());
  serve_process mid_a{dir.path() / "mid-a", 0, uplink_flags(root, "mid-a")};
  serve_process mid_b{dir.path() / "mid-b", 0, uplink_flags(root, "mid-b")};
  REQUIRE(mid_a.ready());
  REQUIRE(mid_b.ready());
  auto leaf_a = start_worker(
      dir.path(), mid_a.url(), "leaf-a",
      {"--sleep-ms", "1500", "--skills", "work", "--concurrency", "2"});
  auto leaf_b = start_worker(
      dir.path(), mid_b.url(), "leaf-b",
      {"--sleep-ms", "1500", "--skills", "work", "--concurrency", "2"});
  REQUIRE(wait_until(
      [&] {
        return offers(root, "mid-a", "work") && offers(root, "mid-b", "work");
      },
      20s));
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i)
    ids.push_back(root.submit("work", json::object{{"i", i}}));
  // Kill mid-a while it holds leases.
  std::set<std::string> at_a;
  REQUIRE(wait_until(
      [&] {
        at_a.clear();
        for (const auto& id : ids) {
          auto v = root.task(id);
          auto s = field(v, "state");
          if (field(v, "worker_id") == "mid-a"
              && (s == "assigned" || s == "running"))
            at_a.insert(id);
        }
        return !at_a.empty();
      },
      20s));
  mid_a.crash();
  int requeued = 0;
  for (const auto& id : ids) {
    auto view = root.wait_state(id, terminal, 30s);
    CHECK(field(view, "state") == "success");
    auto origin = field(view, "origin_worker_id");
    CHECK_MESSAGE((origin == "leaf-a" || origin == "leaf-b"), origin);
    if (at_a.count(id) && origin == "leaf-b") {
      // Requeued after mid-a was lost: a second attempt, at mid-b.
      CHECK(field(view, "worker_id") == "mid-b");
      CHECK(view.find("attempts")->as_double() >= 2);
      ++requeued;
    }
  }
  // Leases are 1.5 s long: at least one was still at mid-a when it died.
  CHECK(requeued >= 1);
  CHECK(wait_until([&] { return !offers(root, "mid-a", "work"); }, 10s));
}

TEST_CASE("a task the subtree cannot place goes back as RESOURCE_EXHAUSTED "
          "and the parent retries it") {
  temp_dir dir;
  serve_process root{dir.path() / "root", 0, {"--retry-base-ms", "50"}};
  REQUIRE(root.ready());
  auto flags = uplink_flags(root, "mid");
  flags.insert(flags.end(), {"--uplink-place-ms", "300"});
  serve_process mid{dir.path() / "mid", 0, flags};
  REQUIRE(mid.ready());
  auto small = start_worker(
      dir.path(), mid.url(), "small",
      {"--echo", "--resources", R"({"properties":{"cpu_cores":4}})"});
  auto big
      = start_worker(dir.path(), mid.url(), "big",
                     {"--sleep-ms", "20000", "--skills", "echo", "--resources",
                      R"({"properties":{"cpu_cores":16}})"});
  json::value needs_big
      = json::object{{"properties", json::object{{"cpu_cores", 16}}}};
  REQUIRE(big->wait_for_log("registered", 20s));
  // Keep the big leaf busy with a local task of the mid's own client.
  auto local = mid.submit("echo", json::object{}, needs_big);
  REQUIRE(big->wait_for_log("task received", 20s));
  REQUIRE(wait_until([&] { return offers(root, "mid", "echo"); }, 20s));

  // The root sees a profile with 16 cores, the mid has only the small
  // leaf idle: the task comes back each time until attempts run out.
  auto id = root.submit("echo", json::object{}, needs_big);
  auto view = root.wait_state(id, terminal, 20s);
  CHECK(field(view, "state") == "failure");
  REQUIRE(view.find("error"));
  CHECK(field(*view.find("error"), "code") == "RESOURCE_EXHAUSTED_ERROR");
  CHECK(view.find("attempts")->as_double() == 3);
  // What fits runs as usual.
  auto fits = root.submit("echo", json::object{{"ok", 1}});
  auto done = root.wait_state(fits, terminal, 20s);
  CHECK(field(done, "state") == "success");
  CHECK(field(done, "origin_worker_id") == "small");
  // The big leaf's own task was never disturbed.
  auto local_state = field(mid.task(local), "state");
  CHECK_MESSAGE((local_state == "assigned" || local_state == "running"),
                local_state);
}

TEST_CASE("the uplink reconnects after its parent restarts and posts what "
          "finished meanwhile") {
  temp_dir dir;
  auto port = stable_port();
  auto root = std::make_unique<serve_process>(dir.path() / "root", port);
  REQUIRE(root->ready());
  serve_process mid{dir.path() / "mid", 0, uplink_flags(*root, "mid")};
  REQUIRE(mid.ready());
  auto leaf = start_worker(dir.path(), mid.url(), "leaf",
                           {"--sleep-ms", "1500", "--skills", "work"});
  REQUIRE(wait_until([&] { return offers(*root, "mid", "work"); }, 20s));
  auto id = root->submit("work", json::object{});
  REQUIRE(leaf->wait_for_log("task received", 20s));
  root->crash();
  // The leaf finishes while the parent is down; the mid keeps the result.
  REQUIRE(leaf->wait_for_log("task done", 10s));
  root = std::make_unique<serve_process>(dir.path() / "root", port);
  REQUIRE(root->ready());
  auto view = root->wait_state(id, terminal, 20s);
  CHECK(field(view, "state") == "success");
  CHECK(field(view, "origin_worker_id") == "leaf");
  auto after = root->submit("work", json::object{});
  auto done = root->wait_state(after, terminal, 20s);
  CHECK(field(done, "state") == "success");
  CHECK(field(done, "origin_worker_id") == "leaf");
}

TEST_CASE("a registration with malformed resource profiles is refused with "
          "the entry named") {
  temp_dir dir;
  serve_process root{dir.path()};
  REQUIRE(root.ready());
  http_client c{root.port()};
  auto reg = [&](const json::value& profiles) {
    json::value body = json::object{
        {"worker_id", "mid"},
        {"worker_type", "orchestrator"},
        {"capabilities",
         json::object{
             {"extra", json::object{{"rxon.resource_profiles", profiles}}}}}};
    return c.request(
        "POST", "/_worker/workers/register", json::to_string(body),
        {{"X-Worker-Token", worker_token}, {"X-Worker-ID", "mid"}});
  };
  auto bad = reg(json::array{json::object{{"resources", 3}}});
  CHECK(bad.status == 400);
  CHECK_MESSAGE(bad.body.find("rxon.resource_profiles[0].resources")
                    != std::string::npos,
                bad.body);
  auto good = reg(json::array{json::object{{"skills", json::array{"echo"}}}});
  CHECK(good.status == 200);
}

TEST_CASE("a mid signs what it sends to a root that requires signatures") {
  temp_dir dir;
  serve_process root{
      dir.path() / "root",
      0,
      {"--require-signatures", "--worker-secrets", "mid=mid-secret"}};
  REQUIRE(root.ready());
  auto flags = uplink_flags(root, "mid");
  flags.insert(flags.end(), {"--uplink-secret", "mid-secret"});
  serve_process mid{dir.path() / "mid", 0, flags};
  REQUIRE(mid.ready());
  auto leaf = start_worker(dir.path(), mid.url(), "leaf", {"--echo"});
  REQUIRE(leaf->wait_for_log("registered", 20s));
  REQUIRE(wait_until([&] { return offers(root, "mid", "echo"); }, 20s));
  // Registration, heartbeats and the result all passed the root's check.
  auto id = root.submit("echo", json::object{{"signed", true}});
  auto view = root.wait_state(id, terminal, 20s);
  CHECK(field(view, "state") == "success");
  CHECK(field(view, "origin_worker_id") == "leaf");
}

TEST_CASE("a four-level holarchy runs tasks at the bottom, relays events "
          "through every level and cancels down to the leaf") {
  temp_dir dir;
  serve_process root{dir.path() / "root"};
  REQUIRE(root.ready());
  serve_process mid{dir.path() / "mid", 0, uplink_flags(root, "mid")};
  REQUIRE(mid.ready());
  serve_process sub{dir.path() / "sub", 0, uplink_flags(mid, "sub")};
  REQUIRE(sub.ready());
  auto leaf = start_worker(dir.path(), sub.url(), "deep-leaf", {"--echo"});
  auto sleeper = start_worker(dir.path(), sub.url(), "deep-sleeper",
                              {"--sleep-ms", "20000", "--skills", "slow"});
  probe_leaf probe{sub.url(), "deep-probe"};
  REQUIRE(wait_until(
      [&] {
        return offers(root, "mid", "echo") && offers(root, "mid", "probe")
               && offers(root, "mid", "slow");
      },
      20s));

  auto id = root.submit("echo", json::object{{"depth", 4}});
  auto view = root.wait_state(id, terminal, 20s);
  CHECK(field(view, "state") == "success");
  CHECK(field(view, "worker_id") == "mid");
  CHECK(field(view, "origin_worker_id") == "deep-leaf");
  CHECK(*view.find("result") == json::value{json::object{{"depth", 4}}});

  // The progress event climbs two relays: sub, then mid.
  auto probe_id = root.submit("probe", json::object{});
  CHECK(field(root.wait_state(probe_id, terminal, 20s), "state") == "success");
  auto ev = first_event(root, probe_id);
  REQUIRE(ev.is_object());
  CHECK(field(ev, "origin_worker_id") == "deep-probe");
  CHECK(field(ev, "sender") == "mid");
  REQUIRE(ev.find("bubbling_chain"));
  CHECK(*ev.find("bubbling_chain") == json::value{json::array{"sub", "mid"}});

  // A cancel at the root reaches the leaf two levels down.
  auto slow = root.submit("slow", json::object{});
  REQUIRE(sleeper->wait_for_log("task received", 20s));
  CHECK(root.cancel(slow) == 200);
  CHECK(sleeper->wait_for_log("cancelling task", 10s));
  CHECK(field(root.task(slow), "state") == "cancelled");
}

TEST_CASE("after a mid orchestrator restarts, the parent's cancel still "
          "reaches the task it recovered") {
  temp_dir dir;
  serve_process root{dir.path() / "root"};
  REQUIRE(root.ready());
  auto mid_port = stable_port();
  auto mid = std::make_unique<serve_process>(dir.path() / "mid", mid_port,
                                             uplink_flags(root, "mid"));
  REQUIRE(mid->ready());
  // Two slots: the leaf still runs the first delivery when the restarted
  // mid hands the recovered task out again.
  auto leaf = start_worker(
      dir.path(), mid->url(), "leaf",
      {"--sleep-ms", "30000", "--skills", "work", "--concurrency", "2"});
  REQUIRE(wait_until([&] { return offers(root, "mid", "work"); }, 20s));
  auto id = root.submit("work", json::object{});
  REQUIRE(leaf->wait_for_log("task received", 20s));
  // The mid hands a pulled task out before its local commit (the parent's
  // lease covers a crash before it); let that commit land first.
  std::this_thread::sleep_for(500ms);
  mid->crash();
  mid = std::make_unique<serve_process>(dir.path() / "mid", mid_port,
                                        uplink_flags(root, "mid"));
  REQUIRE(mid->ready());
  // The recovered task went back to pending at the mid and reaches the
  // leaf again once it has reconnected.
  REQUIRE(wait_until([&] { return count(leaf->err(), "task received") >= 2; },
                     20s));
  auto view = root.task(id);
  CHECK(field(view, "worker_id") == "mid");
  REQUIRE(root.cancel(id) == 200);
  CHECK(field(root.task(id), "state") == "cancelled");
  // The mid maps the parent's id to its recovered local task and cancels
  // it there; the leaf gets the command.
  CHECK(leaf->wait_for_log("cancelling task", 10s));
}
