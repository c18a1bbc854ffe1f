#include "actors/dispatcher_state.hpp"
#include "protocol/codec.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

using namespace rxon;
using namespace rxon::actors;
using namespace rxon::test;
using storage::task_state;

namespace {

struct fixture {
  dispatch_config cfg;
  std::unique_ptr<dispatcher_state> d;
  int64_t now = 1'700'000'000'000;
  poll_id next = 1;

  explicit fixture(dispatch_config c = {}) : cfg(c) {
    d = std::make_unique<dispatcher_state>(cfg, 42);
  }

  void add(const worker_registration& r) { d->add_holon(r, now); }

  job_ack submit(std::vector<task_spec> tasks) {
    effects fx;
    auto ack = d->submit(job(std::move(tasks)), now, fx);
    REQUIRE(ack);
    last = std::move(fx);
    return *ack;
  }

  /// Polls; returns (poll id, effects).
  poll_id poll(const std::string& worker, int64_t timeout_ms = 0,
               std::optional<std::vector<std::string>> hot = {}) {
    auto req = poll_req(worker, timeout_ms);
    req.hot_skills = std::move(hot);
    effects fx;
    auto id = next++;
    d->poll(id, req, now, fx);
    last = std::move(fx);
    return id;
  }

  std::optional<task_payload> take(const std::string& worker) {
    auto id = poll(worker);
    return delivered(last, id);
  }

  json::value result(const std::string& worker, task_result r) {
    effects fx;
    auto out = d->post_result(worker, std::move(r), now, fx);
    last = std::move(fx);
    return out;
  }

  void advance(int64_t ms) {
    now += ms;
    effects fx;
    d->tick(now, fx);
    last = std::move(fx);
  }

  task_state state_of(const std::string& task_id) {
    auto* t = d->find_task(task_id);
    REQUIRE(t != nullptr);
    return t->state;
  }

  effects last;
};

std::string status_of(const json::value& v) {
  return v.find("status")->as_string();
}

std::string reason_of(const json::value& v) {
  auto* r = v.find("reason");
  return r ? r->as_string() : "";
}

} // namespace

TEST_CASE("only holons that match skill and resources receive a task") {
  fixture f;
  f.add(holon_reg("no-skill", {"other"}, {80}));
  f.add(holon_reg("small-gpu", {"render"}, {8}));
  f.add(holon_reg("big-gpu", {"render"}, {24, 8}));
  auto t = task("render");
  resources req;
  req.devices.emplace();
  req.devices->push_back(gpu(16, "rtx")); // vram >= 16, model contains rtx
  req.devices->front().properties = json::object{{"vram_gb", 16}};
  t.requirements = std::make_shared<const resources>(req);
  auto ack = f.submit({t});
  CHECK_FALSE(f.take("no-skill"));
  CHECK_FALSE(f.take("small-gpu"));
  auto got = f.take("big-gpu");
  REQUIRE(got);
  CHECK(got->task_id == ack.task_ids[0]);
  CHECK(f.state_of(got->task_id) == task_state::assigned);
}

TEST_CASE("a task that names a skill version goes only to holons with it") {
  fixture f;
  auto with_version = [](std::string id, const char* version) {
    auto r = holon_reg(std::move(id), {"resize"});
    r.supported_skills->front().version = version;
    return r;
  };
  f.add(with_version("v1", "1"));
  f.add(with_version("v2", "2"));
  auto wants_v2 = task("resize");
  skill_info v2;
  v2.name = "resize";
  v2.version = "2";
  wants_v2.skill = std::make_shared<const skill_info>(v2);
  // A plain task first, then the same requirement twice: each submission
  // looks its class up among the known ones, and neither class may be
  // taken for the other.
  auto plain = f.submit({task("resize")});
  auto first = f.submit({wants_v2});
  auto second = f.submit({wants_v2});
  auto got = f.take("v1");
  REQUIRE(got);
  CHECK(got->task_id == plain.task_ids[0]);
  CHECK_FALSE(f.take("v1"));
  std::set<std::string> to_v2;
  for (int i = 0; i < 2; ++i) {
    auto t = f.take("v2");
    REQUIRE(t);
    to_v2.insert(t->task_id);
  }
  CHECK(to_v2 == std::set<std::string>{first.task_ids[0], second.task_ids[0]});
  CHECK_FALSE(f.take("v2"));
}

TEST_CASE("a parked poll receives a new matching task at once") {
  fixture f;
  f.add(holon_reg("w1", {"echo"}));
  auto id = f.poll("w1", 10'000);
  CHECK_FALSE(answered(f.last, id));
  auto ack = f.submit({task("echo")});
  auto got = delivered(f.last, id);
  REQUIRE(got);
  CHECK(got->task_id == ack.task_ids[0]);
  CHECK(got->type == "echo");
}

TEST_CASE("a parked poll times out with no task") {
  fixture f;
  f.add(holon_reg("w1", {"echo"}));
  auto id = f.poll("w1", 5'000);
  f.advance(4'999);
  CHECK_FALSE(answered(f.last, id));
  f.advance(1);
  REQUIRE(answered(f.last, id));
  CHECK_FALSE(delivered(f.last, id));
}

TEST_CASE("poll timeouts are capped by the configured maximum") {
  dispatch_config cfg;
  cfg.max_poll_ms = 1'000;
  fixture f{cfg};
  f.add(holon_reg("w1", {"echo"}));
  auto id = f.poll("w1", 60'000);
  f.advance(1'000);
  CHECK(answered(f.last, id));
}

TEST_CASE("higher priority first, then older first") {
  fixture f;
  f.add(holon_reg("w1", {"echo"}));
  auto low = f.submit({task("echo", 1)});
  auto high = f.submit({task("echo", 5)});
  auto low2 = f.submit({task("echo", 1)});
  CHECK(f.take("w1")->task_id == high.task_ids[0]);
  CHECK(f.take("w1")->task_id == low.task_ids[0]);
  CHECK(f.take("w1")->task_id == low2.task_ids[0]);
}

TEST_CASE("a task past its deadline times out and is never handed out") {
  fixture f;
  f.add(holon_reg("w1", {"echo"}));
  auto t = task("echo");
  t.deadline = f.now / 1000 + 10;
  auto ack = f.submit({t});
  f.advance(10'000);
  CHECK(f.state_of(ack.task_ids[0]) == task_state::timeout);
  CHECK_FALSE(f.take("w1"));
  auto* rec = f.d->find_task(ack.task_ids[0]);
  CHECK(rec->error.find("code")->as_string() == "TIMEOUT_ERROR");
}

TEST_CASE("a submission already past its deadline times out at once") {
  fixture f;
  auto t = task("echo");
  t.deadline = f.now / 1000 - 1;
  auto ack = f.submit({t});
  CHECK(f.state_of(ack.task_ids[0]) == task_state::timeout);
}

TEST_CASE("transient failures retry with backoff on another holon") {
  dispatch_config cfg;
  cfg.retry_base_ms = 1'000;
  fixture f{cfg};
  f.add(holon_reg("a", {"echo"}));
  f.add(holon_reg("b", {"echo"}));
  auto ack = f.submit({task("echo")});
  auto first = f.take("a");
  REQUIRE(first);
  CHECK(status_of(f.result("a", failure(*first, "TRANSIENT_ERROR")))
        == "accepted");
  CHECK(f.state_of(first->task_id) == task_state::pending);
  // Backing off: not handed out yet.
  CHECK_FALSE(f.take("a"));
  auto parked_b = f.poll("b", 60'000);
  f.advance(999);
  CHECK_FALSE(answered(f.last, parked_b));
  f.advance(1);
  auto again = delivered(f.last, parked_b);
  REQUIRE(again); // went to b, the other holon
  CHECK(again->task_id == ack.task_ids[0]);
  CHECK(f.d->find_task(again->task_id)->attempts == 2);
}

TEST_CASE("a retried task passes over the holon it failed on while another "
          "waits") {
  dispatch_config cfg;
  cfg.retry_base_ms = 1'000;
  fixture f{cfg};
  f.add(holon_reg("a", {"echo"}));
  f.add(holon_reg("b", {"echo"}));
  f.submit({task("echo")});
  auto first = f.take("a");
  REQUIRE(first);
  f.result("a", failure(*first, "TRANSIENT_ERROR"));
  // Both wait when the backoff ends, a first in line.
  auto parked_a = f.poll("a", 60'000);
  auto parked_b = f.poll("b", 60'000);
  f.advance(1'000);
  auto again = delivered(f.last, parked_b);
  REQUIRE(again);
  CHECK(again->task_id == first->task_id);
  CHECK_FALSE(answered(f.last, parked_a));
  CHECK(f.d->find_task(first->task_id)->holon_id == "b");
}

TEST_CASE("transient failures stop after max_attempts") {
  dispatch_config cfg;
  cfg.retry_base_ms = 10;
  fixture f{cfg};
  f.add(holon_reg("a", {"echo"}));
  auto t = task("echo");
  t.max_attempts = 2;
  auto ack = f.submit({t});
  auto p = f.take("a");
  f.result("a", failure(*p, "TRANSIENT_ERROR"));
  f.advance(10);
  p = f.take("a");
  REQUIRE(p);
  f.result("a", failure(*p, "TRANSIENT_ERROR"));
  CHECK(f.state_of(ack.task_ids[0]) == task_state::failure);
}

TEST_CASE("permanent errors fail and contract violations quarantine") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  auto ack = f.submit({task("echo"), task("echo")});
  auto p1 = f.take("a");
  f.result("a", failure(*p1, "PERMANENT_ERROR"));
  CHECK(f.state_of(p1->task_id) == task_state::failure);
  auto p2 = f.take("a");
  f.result("a", failure(*p2, "CONTRACT_VIOLATION_ERROR"));
  CHECK(f.state_of(p2->task_id) == task_state::quarantined);
  CHECK(ack.task_ids.size() == 2);
}

TEST_CASE("an expired lease requeues the task and the late result of the "
          "old holon is then a mismatch") {
  dispatch_config cfg;
  cfg.lease_ms = 5'000;
  fixture f{cfg};
  f.add(holon_reg("a", {"echo"}));
  f.add(holon_reg("b", {"echo"}));
  auto ack = f.submit({task("echo")});
  auto p = f.take("a");
  REQUIRE(p);
  f.advance(5'000);
  CHECK(f.state_of(p->task_id) == task_state::pending);
  // The holon that lost the lease is told to stop.
  REQUIRE(f.last.commands.size() == 1);
  CHECK(f.last.commands[0].holon_id == "a");
  auto q = f.take("b");
  REQUIRE(q);
  CHECK(q->task_id == ack.task_ids[0]);
  auto late = f.result("a", success(*p));
  CHECK(reason_of(late) == "worker_mismatch");
  CHECK(status_of(f.result("b", success(*q))) == "accepted");
  CHECK(f.state_of(p->task_id) == task_state::success);
}

TEST_CASE("a lost holon's leased tasks go back to the queue") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  f.add(holon_reg("b", {"echo"}));
  auto ack = f.submit({task("echo"), task("echo")});
  CHECK(f.take("a"));
  CHECK(f.take("a"));
  effects fx;
  f.d->remove_holon("a", f.now, fx);
  CHECK_FALSE(f.d->has_holon("a"));
  for (const auto& id : ack.task_ids)
    CHECK(f.state_of(id) == task_state::pending);
  CHECK(f.take("b"));
  CHECK(f.take("b"));
}

TEST_CASE("removing a holon answers its own parked polls and no others") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  f.add(holon_reg("b", {"echo"}));
  auto a1 = f.poll("a", 30'000);
  auto b1 = f.poll("b", 30'000);
  auto a2 = f.poll("a", 30'000);
  CHECK(f.d->stats().parked_polls == 3);
  effects fx;
  f.d->remove_holon("a", f.now, fx);
  std::vector<poll_id> answered;
  for (const auto& a : fx.answers) {
    answered.push_back(a.id);
    REQUIRE(a.outcome);
    CHECK_FALSE(a.outcome->has_value()); // empty: no task
  }
  CHECK(answered == std::vector<poll_id>{a1, a2});
  CHECK(f.d->stats().parked_polls == 1);
  // b's poll still gets the next task.
  f.submit({task("echo")});
  CHECK(delivered(f.last, b1));
}

TEST_CASE("a duplicate result completes the task once") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  f.submit({task("echo")});
  auto p = f.take("a");
  CHECK(status_of(f.result("a", success(*p, json::object{{"x", 1}})))
        == "accepted");
  // The stored task gets a narrow update, not a second whole-row put.
  CHECK(f.last.changes.tasks.empty());
  REQUIRE(f.last.changes.task_updates.size() == 1);
  CHECK(f.last.changes.task_updates[0].state == task_state::success);
  auto dup = f.result("a", success(*p, json::object{{"x", 2}}));
  CHECK(reason_of(dup) == "stale_task");
  CHECK(f.last.changes.tasks.empty()); // nothing changed
  CHECK(f.last.changes.task_updates.empty());
  CHECK(*f.d->find_task(p->task_id)->result.find("x") == json::value{1});
}

TEST_CASE("results for unknown jobs and other workers' tasks are ignored") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  f.add(holon_reg("b", {"echo"}));
  f.submit({task("echo")});
  auto p = f.take("a");
  CHECK(reason_of(f.result("b", success(*p))) == "worker_mismatch");
  auto bogus = *p;
  bogus.job_id = "nope";
  bogus.task_id = "nope";
  CHECK(reason_of(f.result("a", success(bogus))) == "job_not_found");
  CHECK(f.state_of(p->task_id) == task_state::assigned);
}

TEST_CASE("cancelling a leased task is terminal and tells the holon") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  auto ack = f.submit({task("echo")});
  auto p = f.take("a");
  effects fx;
  auto r = f.d->cancel_task("client", p->task_id, f.now, fx);
  REQUIRE(r);
  CHECK(f.state_of(p->task_id) == task_state::cancelled);
  REQUIRE(fx.commands.size() == 1);
  CHECK(fx.commands[0].command.command == "cancel_task");
  CHECK(*fx.commands[0].command.task_id == p->task_id);
  // The next heartbeat repeats it, for workers without a WebSocket.
  heartbeat hb;
  hb.worker_id = "a";
  hb.status = "busy";
  hb.current_tasks = std::vector<std::string>{p->task_id};
  effects hfx;
  auto reply = f.d->heartbeat("a", hb, f.now, hfx);
  auto* ids = reply.find("cancel_task_ids");
  REQUIRE(ids);
  CHECK(ids->as_array().size() == 1);
  CHECK(reason_of(f.result("a", success(*p))) == "job_cancelled");
  // Another owner cannot see or cancel it.
  effects ofx;
  CHECK_FALSE(f.d->cancel_task("someone-else", ack.task_ids[0], f.now, ofx));
}

TEST_CASE("cancelling a job cancels its open tasks only") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  auto ack = f.submit({task("echo"), task("echo")});
  auto p = f.take("a");
  f.result("a", success(*p));
  effects fx;
  auto r = f.d->cancel_job("client", ack.job_id, f.now, fx);
  REQUIRE(r);
  CHECK(*r->find("cancelled_tasks") == json::value{1});
  auto view = f.d->job_view("client", ack.job_id);
  REQUIRE(view);
  CHECK(view->find("status")->as_string() == "cancelled");
}

TEST_CASE("reputation falls with permanent failures until a holon gets no "
          "tasks") {
  dispatch_config cfg;
  cfg.penalty_failure = 0.4;
  fixture f{cfg};
  f.add(holon_reg("bad", {"echo"}));
  f.submit({task("echo"), task("echo"), task("echo")});
  for (int i = 0; i < 2; ++i) {
    auto p = f.take("bad");
    REQUIRE(p);
    f.result("bad", failure(*p, "PERMANENT_ERROR"));
  }
  // 1.0 - 2 * 0.4 = 0.2 < 0.3: below the floor.
  CHECK_FALSE(f.take("bad"));
  f.add(holon_reg("good", {"echo"}));
  CHECK(f.take("good"));
}

TEST_CASE("least_loaded picks the holon with fewer leases") {
  dispatch_config cfg;
  cfg.strategy = strategy::least_loaded;
  fixture f{cfg};
  f.add(holon_reg("busy", {"echo"}));
  f.add(holon_reg("free", {"echo", "other"}, {8}));
  f.submit({task("echo")});
  CHECK(f.take("busy"));
  auto busy_poll = f.poll("busy", 60'000);
  auto free_poll = f.poll("free", 60'000);
  f.submit({task("echo")});
  CHECK(delivered(f.last, free_poll));
  CHECK_FALSE(answered(f.last, busy_poll));
}

TEST_CASE("cheapest picks the lowest cost and max_cost excludes the rest") {
  dispatch_config cfg;
  cfg.strategy = strategy::cheapest;
  fixture f{cfg};
  f.add(holon_reg("pricey", {"echo"}, {}, 5.0));
  f.add(holon_reg("cheap", {"echo"}, {}, 1.0));
  auto pricey = f.poll("pricey", 60'000);
  auto cheap = f.poll("cheap", 60'000);
  f.submit({task("echo")});
  CHECK(delivered(f.last, cheap));
  CHECK_FALSE(answered(f.last, pricey));
  auto capped = task("echo");
  capped.max_cost = 2.0;
  f.submit({capped});
  CHECK_FALSE(answered(f.last, pricey)); // 5 > 2: stays queued
  CHECK(f.d->stats().queued == 1);
}

TEST_CASE("round_robin hands tasks to the longest-waiting holon") {
  dispatch_config cfg;
  cfg.strategy = strategy::round_robin;
  fixture f{cfg};
  f.add(holon_reg("a", {"echo"}));
  f.add(holon_reg("b", {"echo"}, {8})); // another profile
  auto pa = f.poll("a", 60'000);
  auto pb = f.poll("b", 60'000);
  f.submit({task("echo")});
  CHECK(delivered(f.last, pa));
  f.submit({task("echo")});
  CHECK(delivered(f.last, pb));
}

TEST_CASE("the default strategy prefers a holon with the skill hot") {
  fixture f;
  f.add(holon_reg("cold", {"echo"}));
  f.add(holon_reg("warm", {"echo"}, {8}));
  auto cold = f.poll("cold", 60'000);
  auto warm = f.poll("warm", 60'000, std::vector<std::string>{"echo"});
  f.submit({task("echo")});
  CHECK(delivered(f.last, warm));
  CHECK_FALSE(answered(f.last, cold));
}

TEST_CASE("available_skills restrict what a poll may receive") {
  fixture f;
  f.add(holon_reg("a", {"echo", "render"}));
  f.submit({task("render")});
  auto req = poll_req("a", 0);
  req.available_skills = std::vector<std::string>{"echo"};
  effects fx;
  f.d->poll(99, req, f.now, fx);
  CHECK_FALSE(delivered(fx, 99));
  CHECK(f.take("a"));
}

TEST_CASE("params that break a skill's input schema are not handed to it") {
  fixture f;
  auto reg = holon_reg("strict", {"sum"});
  (*reg.supported_skills)[0].input_schema = json::object{
      {"type", "object"},
      {"required", json::array{"a"}},
      {"properties", json::object{{"a", json::object{{"type", "integer"}}}}}};
  f.add(reg);
  f.add(holon_reg("lax", {"sum"}, {8}));
  auto bad = task("sum");
  bad.params = json::object{{"a", "not a number"}};
  f.submit({bad});
  CHECK_FALSE(f.take("strict"));
  CHECK(f.take("lax"));
}

TEST_CASE("a poll passes over heads it cannot take and gets the best task "
          "it can") {
  fixture f;
  auto reg = holon_reg("strict", {"echo", "sum"});
  for (auto& s : *reg.supported_skills)
    if (s.name == "sum")
      s.input_schema
          = json::object{{"type", "object"}, {"required", json::array{"a"}}};
  f.add(reg);
  auto bad = task("sum"); // breaks the input contract: its class is skipped
  bad.params = json::object{{"b", 1}};
  bad.priority = 9;
  auto late = task("echo"); // past its deadline when the poll comes
  late.priority = 5;
  late.deadline = f.now / 1000 + 10;
  auto ok = task("echo");
  ok.priority = 1;
  auto ack = f.submit({bad, late, ok});
  // Polled 20 s later, before any timer ran: the expired head is found by
  // the poll itself.
  effects fx;
  f.d->poll(7, poll_req("strict", 0), f.now + 20'000, fx);
  auto got = delivered(fx, 7);
  REQUIRE(got);
  CHECK(got->task_id == ack.task_ids[2]);
  CHECK(f.state_of(ack.task_ids[1]) == task_state::timeout);
  CHECK(f.state_of(ack.task_ids[0]) == task_state::pending);
}

TEST_CASE("a result that breaks the output schema is quarantined") {
  fixture f;
  auto reg = holon_reg("w", {"sum"});
  (*reg.supported_skills)[0].output_schema
      = json::object{{"type", "object"}, {"required", json::array{"total"}}};
  f.add(reg);
  f.submit({task("sum")});
  auto p = f.take("w");
  f.result("w", success(*p, json::object{{"wrong", 1}}));
  CHECK(f.state_of(p->task_id) == task_state::quarantined);
}

TEST_CASE("a returned task is requeued without using up an attempt") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  f.submit({task("echo")});
  auto p = f.take("a");
  effects fx;
  f.d->return_task("a", p->task_id, f.now, fx);
  CHECK(f.state_of(p->task_id) == task_state::pending);
  CHECK(f.d->find_task(p->task_id)->attempts == 0);
  CHECK(f.take("a"));
}

TEST_CASE("an unknown holon's poll is an error and its heartbeat asks for a "
          "full sync") {
  fixture f;
  auto id = f.poll("ghost");
  REQUIRE(f.last.answers.size() == 1);
  CHECK(f.last.answers[0].id == id);
  CHECK_FALSE(f.last.answers[0].outcome);
  effects fx;
  auto hb = f.d->heartbeat("ghost", std::nullopt, f.now, fx);
  CHECK(*hb.find("require_full_sync") == json::value{true});
}

TEST_CASE("job status derives from its tasks") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  auto ack = f.submit({task("echo"), task("echo")});
  CHECK(f.d->job_view("client", ack.job_id)->find("status")->as_string()
        == "pending");
  auto p = f.take("a");
  CHECK(f.d->job_view("client", ack.job_id)->find("status")->as_string()
        == "running");
  f.result("a", success(*p));
  auto q = f.take("a");
  f.result("a", failure(*q, "PERMANENT_ERROR"));
  auto view = f.d->job_view("client", ack.job_id);
  CHECK(view->find("status")->as_string() == "failed");
  CHECK(*view->find("counts")->find("success") == json::value{1});
  CHECK(f.d->job_view("other", ack.job_id)->is_null());
}

TEST_CASE("invalid submissions are rejected with the field named") {
  fixture f;
  effects fx;
  auto bad = task("not valid!");
  auto r = f.d->submit(job({bad}), f.now, fx);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("tasks[0].type") != std::string::npos);
  CHECK_FALSE(f.d->submit(job({}), f.now, fx));
}

TEST_CASE("a job is marked finished in the store when its last task ends") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  auto ack = f.submit({task("echo"), task("echo")});
  CHECK(f.last.changes.finished_jobs.empty());
  auto first = f.take("a");
  REQUIRE(first);
  f.result("a", success(*first, json::object{}));
  CHECK(f.last.changes.finished_jobs.empty()); // one task still open
  auto second = f.take("a");
  REQUIRE(second);
  f.result("a", success(*second, json::object{}));
  REQUIRE(f.last.changes.finished_jobs.size() == 1);
  CHECK(f.last.changes.finished_jobs[0].job_id == ack.job_id);
  CHECK(f.last.changes.finished_jobs[0].finished_ms == f.now);
}

TEST_CASE("a restored job is marked only once all of its tasks have ended") {
  fixture f;
  storage::job_record j{"job1", "client", {}, f.now - 60'000};
  auto stored = [](const char* id, task_state s) {
    storage::task_record t;
    t.task_id = id;
    t.job_id = "job1";
    t.type = "echo";
    t.state = s;
    return t;
  };
  // The expired task comes first: it times out during the restore while
  // the other one is still open, so the job stays unmarked.
  auto expired = stored("t-expired", task_state::pending);
  expired.deadline_ms = f.now - 1;
  effects fx;
  f.d->restore(j, {expired, stored("t-open", task_state::pending)}, f.now, fx);
  CHECK(f.state_of("t-expired") == task_state::timeout);
  CHECK(fx.changes.finished_jobs.empty());
  // A job loaded with no open task at all is marked at once.
  storage::job_record k{"job2", "client", {}, f.now - 60'000};
  auto ended = stored("t-ended", task_state::success);
  ended.job_id = "job2";
  effects fx2;
  f.d->restore(k, {ended}, f.now, fx2);
  REQUIRE(fx2.changes.finished_jobs.size() == 1);
  CHECK(fx2.changes.finished_jobs[0].job_id == "job2");
}

TEST_CASE("restored leased tasks come back pending") {
  fixture f;
  storage::job_record j{"job1", "client", {}, f.now};
  storage::task_record t;
  t.task_id = "t1";
  t.job_id = "job1";
  t.type = "echo";
  t.state = task_state::assigned;
  t.holon_id = "gone";
  effects fx;
  f.d->restore(j, {t}, f.now, fx);
  CHECK(f.state_of("t1") == task_state::pending);
  f.add(holon_reg("a", {"echo"}));
  auto p = f.take("a");
  REQUIRE(p);
  CHECK(p->task_id == "t1");
}

TEST_CASE("a new task passes over a large pool of idle holons that cannot "
          "take it and reaches the one that can") {
  // 20k parked holons of one profile without the skill's resources, and
  // one that matches: the new task must reach the matching one at once.
  fixture f;
  for (int i = 0; i < 20'000; ++i) {
    f.add(holon_reg("small" + std::to_string(i), {"render"}, {8}));
    f.poll("small" + std::to_string(i), 60'000);
  }
  f.add(holon_reg("big", {"render"}, {48}));
  auto big = f.poll("big", 60'000);
  auto t = task("render");
  resources req;
  req.devices.emplace();
  req.devices->push_back(gpu(40));
  t.requirements = std::make_shared<const resources>(req);
  f.submit({t});
  CHECK(delivered(f.last, big));
}

TEST_CASE("draining hands out nothing more but still accepts results") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  f.add(holon_reg("idle", {"other"}));
  f.submit({task("echo"), task("echo")});
  auto leased = f.take("a");
  REQUIRE(leased);
  auto parked = f.poll("idle", 60'000);
  CHECK_FALSE(answered(f.last, parked));
  effects fx;
  f.d->drain(fx);
  CHECK(f.d->draining());
  CHECK(answered(fx, parked)); // released empty at once
  CHECK_FALSE(delivered(fx, parked));
  CHECK_FALSE(f.take("a")); // the queued task stays queued
  CHECK(f.d->stats().queued == 1);
  CHECK(status_of(f.result("a", success(*leased))) == "accepted");
  CHECK(f.state_of(leased->task_id) == task_state::success);
}

TEST_CASE("each stored task carries its own requirements, however classes "
          "are shared") {
  fixture f;
  f.add(holon_reg("big", {"render"}, {48}));
  auto with_gpu = [](int vram) {
    auto t = task("render");
    resources req;
    req.devices.emplace();
    req.devices->push_back(gpu(vram));
    t.requirements = std::make_shared<const resources>(req);
    return t;
  };
  auto plain = task("render");
  std::vector<task_spec> specs{with_gpu(16), plain, with_gpu(32), with_gpu(16),
                               plain};
  f.submit(specs);
  REQUIRE(f.last.changes.tasks.size() == specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto& stored = f.last.changes.tasks[i].requirements;
    if (specs[i].requirements)
      CHECK(stored == to_json(*specs[i].requirements));
    else
      CHECK(stored.is_null());
  }
  // All five are dispatchable to the one holon that fits them all.
  for (std::size_t i = 0; i < specs.size(); ++i)
    CHECK(f.take("big"));
  CHECK_FALSE(f.take("big"));
}

TEST_CASE("tasks sharing one requirements object join that object's class "
          "only") {
  fixture f;
  f.add(holon_reg("mid", {"render"}, {24}));
  f.add(holon_reg("big", {"render"}, {48}));
  auto gpu_need = [](int vram) {
    resources req;
    req.devices.emplace();
    req.devices->push_back(gpu(vram));
    return std::make_shared<const resources>(req);
  };
  auto needs_16 = gpu_need(16);
  auto needs_32 = gpu_need(32);
  auto with = [](std::shared_ptr<const resources> need) {
    auto t = task("render");
    t.requirements = std::move(need);
    return t;
  };
  // Each class is first interned from one of these objects; later tasks
  // name the same objects, or an equal copy of one.
  auto first = f.submit({with(needs_16), with(needs_32)});
  auto second = f.submit({with(needs_32), with(needs_16), with(gpu_need(16))});
  std::set<std::string> to_mid;
  while (auto t = f.take("mid"))
    to_mid.insert(t->task_id);
  CHECK(to_mid
        == std::set<std::string>{first.task_ids[0], second.task_ids[1],
                                 second.task_ids[2]});
  std::set<std::string> to_big;
  while (auto t = f.take("big"))
    to_big.insert(t->task_id);
  CHECK(to_big == std::set<std::string>{first.task_ids[1], second.task_ids[0]});
}

TEST_CASE("signs of life are reported once per touch interval") {
  dispatch_config cfg;
  cfg.touch_every_ms = 100;
  fixture f{cfg};
  f.add(holon_reg("a", {"echo"}));
  using ids = std::vector<std::string>;
  f.poll("a"); // registration just restarted the TTL
  CHECK(f.last.touched.empty());
  f.now += 99;
  f.poll("a");
  CHECK(f.last.touched.empty());
  f.now += 1;
  f.poll("a");
  CHECK(f.last.touched == ids{"a"});
  f.submit({task("echo")});
  auto p = f.take("a");
  REQUIRE(p);
  f.now += 100;
  f.result("a", success(*p, json::object{}));
  CHECK(f.last.touched == ids{"a"});
  // Without an interval every sign of life is reported.
  fixture g;
  g.add(holon_reg("b", {"echo"}));
  g.poll("b");
  g.poll("b");
  CHECK(g.last.touched == ids{"b"});
}

TEST_CASE("pending tasks go out by priority, then age, across cancellations") {
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  std::mt19937 rng{7};
  std::vector<task_spec> specs;
  for (int i = 0; i < 300; ++i) {
    auto t = task("echo");
    t.priority = static_cast<double>(rng() % 5);
    specs.push_back(t);
  }
  auto ack = f.submit(specs);
  // Cancel a third of them, scattered through the queue.
  std::vector<std::pair<double, std::size_t>> want; // (-priority, index)
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (rng() % 3 == 0) {
      effects fx;
      REQUIRE(f.d->cancel_task("client", ack.task_ids[i], f.now, fx));
      continue;
    }
    want.emplace_back(-specs[i].priority, i);
  }
  std::sort(want.begin(), want.end());
  for (const auto& [neg_priority, i] : want) {
    auto p = f.take("a");
    REQUIRE(p);
    CHECK(p->task_id == ack.task_ids[i]);
  }
  CHECK_FALSE(f.take("a"));
}

TEST_CASE("pending order holds while tasks are taken, returned and "
          "submitted in between") {
  // Against a model: each take must get the best pending task by
  // (priority, then age), whether its key arrived in order (new tasks) or
  // not (a returned older task, a later task of higher priority).
  fixture f;
  f.add(holon_reg("a", {"echo"}));
  std::mt19937 rng{11};
  std::map<std::string, std::pair<double, int>> key_of; // task -> (-prio, age)
  std::set<std::pair<std::pair<double, int>, std::string>> model;
  int age = 0;
  for (int round = 0; round < 400; ++round) {
    auto op = rng() % 4;
    if (op == 0 || model.empty()) {
      std::vector<task_spec> specs;
      auto n = 1 + rng() % 4;
      auto prio = static_cast<double>(rng() % 3);
      for (std::size_t i = 0; i < n; ++i) {
        auto t = task("echo");
        t.priority = rng() % 4 == 0 ? prio + 1 : prio;
        specs.push_back(t);
      }
      auto ack = f.submit(specs);
      for (std::size_t i = 0; i < n; ++i) {
        std::pair<double, int> k{-specs[i].priority, age++};
        key_of[ack.task_ids[i]] = k;
        model.insert({k, ack.task_ids[i]});
      }
      continue;
    }
    auto p = f.take("a");
    REQUIRE(p);
    REQUIRE(p->task_id == model.begin()->second);
    model.erase(model.begin());
    if (op == 1) { // hand it back: pending again, with its old age
      effects fx;
      f.d->return_task("a", p->task_id, f.now, fx);
      model.insert({key_of[p->task_id], p->task_id});
    }
  }
  while (!model.empty()) {
    auto p = f.take("a");
    REQUIRE(p);
    CHECK(p->task_id == model.begin()->second);
    model.erase(model.begin());
  }
  CHECK_FALSE(f.take("a"));
}

TEST_CASE("a dispatcher without a store describes no task changes but "
          "behaves the same") {
  dispatch_config cfg;
  cfg.record_changes = false;
  fixture f(cfg);
  f.add(holon_reg("a", {"echo"}));
  auto ack = f.submit({task("echo"), task("echo")});
  CHECK(f.last.changes.jobs.empty());
  CHECK(f.last.changes.tasks.empty());
  auto p = f.take("a");
  REQUIRE(p);
  CHECK(f.last.changes.task_updates.empty());
  CHECK(status_of(f.result("a", success(*p, json::object{{"x", 1}})))
        == "accepted");
  CHECK(f.last.changes.tasks.empty());
  CHECK(f.last.changes.task_updates.empty());
  CHECK(f.state_of(p->task_id) == task_state::success);
  CHECK(f.state_of(ack.task_ids[1]) == task_state::pending);
}
