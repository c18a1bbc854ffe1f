// The parts of shell-stacking without processes: multi-profile matching on
// the parent, the bubbling-chain rules, the subtree view and notices of the
// child, the uplink's mappings and its configuration.

#include "actors/dispatcher_state.hpp"
#include "actors/event_chain.hpp"
#include "actors/orchestrator.hpp"
#include "protocol/codec.hpp"
#include "protocol/constants.hpp"
#include "runtime/config.hpp"
#include "runtime/uplink/uplink_mapping.hpp"
#include "tests/actors/support.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <future>
#include <map>

using namespace rxon;
using namespace rxon::actors;
using namespace rxon::test;
using storage::task_state;

namespace {

constexpr int64_t now = 1'700'000'000'000;

resources gpus(std::vector<int> vram) {
  resources r;
  r.devices.emplace();
  for (auto v : vram)
    r.devices->push_back(gpu(v));
  return r;
}

/// A sub-orchestrator offering `render` on a 24 GB GPU and `echo` on a
/// machine without GPU.
worker_registration mid_reg(std::string id = "mid") {
  auto reg = holon_reg(std::move(id), {"echo", "render"});
  reg.worker_type = "orchestrator";
  worker_capabilities caps;
  caps.extra = json::object{
      {extra_resource_profiles,
       profiles_json({resource_profile{{"render"}, gpus({24})},
                      resource_profile{{"echo"}, std::nullopt}})},
      {extra_capacity, 5}};
  reg.capabilities = caps;
  return reg;
}

task_spec render_needing(int vram) {
  auto t = task("render");
  t.requirements = std::make_shared<const resources>(gpus({vram}));
  return t;
}

struct parent {
  dispatcher_state d{dispatch_config{}, 7};
  poll_id next = 1;

  std::string submit(task_spec t, const std::string& owner = "client") {
    effects fx;
    auto ack = d.submit(job({std::move(t)}, owner), now, fx);
    REQUIRE(ack);
    return ack->task_ids.front();
  }
  std::optional<task_payload> take(const std::string& worker, effects& fx) {
    auto id = next++;
    d.poll(id, poll_req(worker, 0), now, fx);
    return delivered(fx, id);
  }
  std::optional<task_payload> take(const std::string& worker) {
    effects fx;
    return take(worker, fx);
  }
};

worker_event progress(std::string sender, std::string origin,
                      std::string task_id) {
  worker_event ev;
  ev.event_id = "e-" + sender;
  ev.worker_id = std::move(sender);
  ev.origin_worker_id = std::move(origin);
  ev.event_type = "progress";
  ev.payload = json::object{{"progress", 0.5}};
  ev.target_task_id = std::move(task_id);
  return ev;
}

} // namespace

TEST_CASE("a parent matches an orchestrator holon against any one of its "
          "resource profiles") {
  parent p;
  p.d.add_holon(mid_reg(), now);
  auto fits = p.submit(render_needing(16));
  auto got = p.take("mid");
  REQUIRE(got);
  CHECK(got->task_id == fits);
  // The requirements travel down in the payload metadata.
  REQUIRE(got->metadata.find("rxon.requirements"));
  CHECK(*got->metadata.find("rxon.requirements") == to_json(gpus({16})));

  p.submit(render_needing(48)); // no profile has 48 GB
  CHECK_FALSE(p.take("mid"));
  auto echo = task("echo");
  // echo's profile has no GPU
  echo.requirements = std::make_shared<const resources>(gpus({8}));
  p.submit(echo);
  CHECK_FALSE(p.take("mid"));
  auto plain = p.submit(task("echo"));
  auto got2 = p.take("mid");
  REQUIRE(got2);
  CHECK(got2->task_id == plain);
  CHECK(got2->metadata.is_null()); // nothing to pass down
}

TEST_CASE("an orchestrator holon's capacity comes from its registration") {
  CHECK(capacity_of(mid_reg()) == 5);
  auto w = holon_reg("w", {"echo"});
  CHECK(capacity_of(w) == 1);
  w.metadata = json::object{{"concurrency", 3}};
  CHECK(capacity_of(w) == 3);
}

TEST_CASE("a malformed resource profile list is an error naming the entry") {
  auto reg = mid_reg();
  reg.capabilities->extra
      = json::object{{extra_resource_profiles,
                      json::array{json::object{{"skills", json::array{"a"}}},
                                  json::object{{"skills", "render"}}}}};
  auto r = resource_profiles_of(reg);
  REQUIRE_FALSE(r);
  CHECK(r.error().message
        == "capabilities.extra.rxon.resource_profiles[1].skills: expected an "
           "array");
  reg.capabilities->extra
      = json::object{{extra_resource_profiles, json::object{}}};
  CHECK_FALSE(resource_profiles_of(reg));
}

TEST_CASE("a relay joins the bubbling chain once and the origin never does") {
  auto ev = progress("leaf", "leaf", "t");
  CHECK_FALSE(append_relay(ev, "leaf")); // the origin sends its own event
  CHECK_FALSE(ev.bubbling_chain);
  ev.worker_id = "mid";
  CHECK(append_relay(ev, "mid"));
  CHECK_FALSE(append_relay(ev, "mid"));
  CHECK(append_relay(ev, "top"));
  CHECK(*ev.bubbling_chain == std::vector<std::string>{"mid", "top"});
}

TEST_CASE("the parent stores a relayed event with the sender in its chain") {
  parent p;
  p.d.add_holon(mid_reg(), now);
  auto id = p.submit(task("echo"));
  REQUIRE(p.take("mid"));
  effects fx;
  auto reply = p.d.post_event("mid", progress("mid", "leaf", id), now, fx);
  CHECK(reply.find("status")->as_string() == "event_accepted");
  REQUIRE(fx.changes.events.size() == 1);
  const auto& data = fx.changes.events.front().data;
  CHECK(*data.find("bubbling_chain") == json::value{json::array{"mid"}});
  CHECK(data.find("origin_worker_id")->as_string() == "leaf");
  CHECK(fx.changes.events.front().task_id == id);
  // The leaf's own event has no relay.
  effects fx2;
  (void)p.d.post_event("mid", progress("mid", "mid", id), now, fx2);
  CHECK_FALSE(fx2.changes.events.front().data.find("bubbling_chain"));
}

TEST_CASE("identity chains must end with the sender and repeat no node") {
  auto ev = progress("mid", "leaf", "t");
  CHECK(check_chains(ev, "mid"));
  ev.security.emplace();
  ev.security->identity_chain = std::vector<std::string>{"leaf", "mid"};
  CHECK(check_chains(ev, "mid"));
  auto forged = check_chains(ev, "other");
  REQUIRE_FALSE(forged);
  CHECK(forged.error().code == errc::forbidden);
  ev.security->identity_chain = std::vector<std::string>{"mid", "leaf", "mid"};
  CHECK_FALSE(check_chains(ev, "mid"));
  ev.security->identity_chain.reset();
  ev.bubbling_chain = std::vector<std::string>{"leaf"}; // origin as relay
  CHECK_FALSE(check_chains(ev, "mid"));

  parent p;
  p.d.add_holon(mid_reg(), now);
  ev.bubbling_chain.reset();
  ev.security->identity_chain = std::vector<std::string>{"leaf", "x"};
  effects fx;
  auto reply = p.d.post_event("mid", ev, now, fx);
  CHECK(reply.find("status")->as_string() == "error");
  CHECK(fx.changes.events.empty());
}

TEST_CASE("the subtree view counts idle polls per skill and lists distinct "
          "profiles") {
  dispatcher_state d{dispatch_config{}, 3};
  auto a = holon_reg("a", {"echo", "render"}, {24});
  a.metadata = json::object{{"concurrency", 2}};
  d.add_holon(a, now);
  d.add_holon(holon_reg("b", {"echo", "render"}, {24}), now);
  d.add_holon(holon_reg("c", {"echo"}), now);
  auto v = d.subtree(0);
  CHECK(v.full);
  CHECK(v.capacity == 4);
  CHECK(v.profiles.size() == 2);
  CHECK(v.skills.size() == 2);
  CHECK(v.idle.empty());
  effects fx;
  d.poll(1, poll_req("a", 10'000), now, fx);
  d.poll(2, poll_req("c", 10'000), now, fx);
  auto idle = d.subtree(v.version);
  CHECK_FALSE(idle.full); // nothing joined or left
  CHECK(idle.idle_polls == 2);
  CHECK(idle.idle["echo"] == 2);
  CHECK(idle.idle["render"] == 1);
  // A delivered task takes its poll out of the idle counts.
  effects fx2;
  (void)d.submit(job({task("render")}), now, fx2);
  auto after = d.subtree(v.version);
  CHECK(after.idle_polls == 1);
  CHECK(after.idle.count("render") == 0);
  CHECK(after.busy == 1);
  d.remove_holon("c", now, fx2);
  auto gone = d.subtree(v.version);
  CHECK(gone.full);
  CHECK(gone.idle_polls == 0);
  CHECK(gone.idle.empty());
}

TEST_CASE("watched jobs report their assignment, end and events") {
  dispatch_config cfg;
  cfg.watch_owner = "rxon.uplink";
  dispatcher_state d{cfg, 5};
  d.add_holon(holon_reg("leaf", {"echo"}), now);
  effects fx;
  auto spec = job({task("echo")}, "rxon.uplink");
  spec.metadata = json::object{{"k", 1}};
  auto ack = d.submit(spec, now, fx);
  REQUIRE(ack);
  (void)d.submit(job({task("echo")}), now, fx); // not watched
  CHECK(fx.notices.empty());
  effects polled;
  d.poll(1, poll_req("leaf", 0), now, polled);
  REQUIRE(polled.notices.size() == 1);
  CHECK(polled.notices[0].what == task_notice::kind::assigned);
  CHECK(polled.notices[0].job_metadata == spec.metadata);
  effects evfx;
  (void)d.post_event("leaf", progress("leaf", "leaf", ack->task_ids[0]), now,
                     evfx);
  REQUIRE(evfx.notices.size() == 1);
  CHECK(evfx.notices[0].what == task_notice::kind::event);
  REQUIRE(evfx.notices[0].event);
  task_result r;
  r.job_id = ack->job_id;
  r.task_id = ack->task_ids[0];
  r.data = json::object{{"ok", true}};
  effects done;
  (void)d.post_result("leaf", std::move(r), now, done);
  REQUIRE(done.notices.size() == 1);
  CHECK(done.notices[0].what == task_notice::kind::finished);
  CHECK(done.notices[0].task.state == task_state::success);
  CHECK(done.notices[0].task.origin_worker_id == "leaf");
  CHECK(done.notices[0].task.result == json::value{json::object{{"ok", true}}});
}

TEST_CASE("restoring a watched job reports its unfinished tasks as "
          "recovered and the ones that timed out meanwhile as finished") {
  dispatch_config cfg;
  cfg.watch_owner = "rxon.uplink";
  dispatcher_state d{cfg, 5};
  json::value meta = json::object{{"parent", 1}};
  storage::job_record watched{"job-w", "rxon.uplink", meta, now - 5000};
  storage::job_record other{"job-o", "client", {}, now - 5000};
  auto stored = [](const char* id, const char* job, task_state s) {
    storage::task_record t;
    t.task_id = id;
    t.job_id = job;
    t.type = "echo";
    t.state = s;
    t.holon_id = s == task_state::pending ? "" : "leaf";
    return t;
  };
  auto leased = stored("w-leased", "job-w", task_state::assigned);
  auto late = stored("w-late", "job-w", task_state::pending);
  late.deadline_ms = now - 1;
  auto done = stored("w-done", "job-w", task_state::success);
  effects fx;
  d.restore(watched, {leased, late, done}, now, fx);
  d.restore(other, {stored("o-1", "job-o", task_state::pending)}, now, fx);
  REQUIRE(fx.notices.size() == 2);
  std::map<std::string, const task_notice*> by_id;
  for (const auto& n : fx.notices)
    by_id[n.task.task_id] = &n;
  REQUIRE(by_id.count("w-leased"));
  CHECK(by_id["w-leased"]->what == task_notice::kind::recovered);
  CHECK(by_id["w-leased"]->task.state == task_state::pending);
  CHECK(by_id["w-leased"]->job_metadata == meta);
  REQUIRE(by_id.count("w-late"));
  CHECK(by_id["w-late"]->what == task_notice::kind::finished);
  CHECK(by_id["w-late"]->task.state == task_state::timeout);
}

TEST_CASE("a pulled task becomes a one-attempt local job carrying the "
          "parent's ids and requirements") {
  task_payload t;
  t.job_id = "pj";
  t.task_id = "pt";
  t.type = "render";
  t.params = json::object{{"x", 1}};
  t.deadline = 1'900'000'000;
  t.metadata = json::object{{"rxon.requirements", to_json(gpus({16}))}};
  auto spec = runtime::local_job(t, "rxon.uplink");
  REQUIRE(spec);
  REQUIRE(spec->tasks.size() == 1);
  CHECK(spec->owner == "rxon.uplink");
  CHECK(spec->tasks[0].max_attempts == 1);
  REQUIRE(spec->tasks[0].requirements);
  CHECK(*spec->tasks[0].requirements == gpus({16}));
  CHECK(spec->tasks[0].deadline == t.deadline);
  auto ref = runtime::parent_of(spec->metadata);
  REQUIRE(ref);
  CHECK(ref->job_id == "pj");
  CHECK(ref->task_id == "pt");
  t.metadata = json::object{{"rxon.requirements", "gpu"}};
  auto bad = runtime::local_job(t, "rxon.uplink");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.rfind("metadata.rxon.requirements:", 0) == 0);
}

TEST_CASE("local outcomes go up with the leaf as origin; unplaced tasks as "
          "transient RESOURCE_EXHAUSTED") {
  runtime::parent_ref ref{"pj", "pt"};
  storage::task_record rec;
  rec.state = task_state::success;
  rec.holon_id = "mid2";
  rec.origin_worker_id = "leaf9"; // reported by a sub-orchestrator below
  rec.result = json::object{{"v", 1}};
  auto up = runtime::upward_result(rec, ref, "mid1");
  REQUIRE(up);
  CHECK(up->task_id == "pt");
  CHECK(up->worker_id == "mid1");
  CHECK(up->origin_worker_id == "leaf9");
  CHECK(up->data == rec.result);
  rec.state = task_state::failure;
  rec.error = json::object{{"code", "PERMANENT_ERROR"}, {"message", "no"}};
  up = runtime::upward_result(rec, ref, "mid1");
  REQUIRE(up);
  CHECK(up->status == "failure");
  CHECK(up->error->code == "PERMANENT_ERROR");
  rec.state = task_state::cancelled;
  CHECK_FALSE(runtime::upward_result(rec, ref, "mid1"));
  auto ex = runtime::exhausted(ref, "mid1", "busy");
  CHECK(ex.status == "failure");
  CHECK(ex.error->code == error_code_resource_exhausted);
}

TEST_CASE("a relayed event targets the parent's task and extends both "
          "chains") {
  auto ev = progress("leaf", "leaf", "local-task");
  auto up = runtime::upward_event(ev, {"pj", "pt"}, "mid1");
  CHECK(up.worker_id == "mid1");
  CHECK(up.origin_worker_id == "leaf");
  CHECK(up.target_task_id == "pt");
  CHECK(up.target_job_id == "pj");
  CHECK(*up.bubbling_chain == std::vector<std::string>{"mid1"});
  CHECK(*up.security->identity_chain
        == std::vector<std::string>{"leaf", "mid1"});
  CHECK(check_chains(up, "mid1"));
}

TEST_CASE("the uplink registration advertises the subtree to any parent") {
  subtree_view v;
  v.capacity = 3;
  skill_info s;
  s.name = "echo";
  v.skills = {s};
  v.profiles = {resource_profile{{"echo"}, gpus({8})}};
  auto reg = runtime::uplink_registration("mid1", v);
  CHECK(reg.worker_type == "orchestrator");
  CHECK(reg.resources == gpus({8})); // one profile: visible to the reference
  REQUIRE(reg.skills_hash);
  CHECK(*reg.skills_hash == runtime::subtree_hash(v));
  CHECK(capacity_of(reg) == 3);
  auto alts = resource_profiles_of(reg);
  REQUIRE(alts);
  CHECK(*alts == v.profiles);
  // The wire form decodes as a plain registration.
  auto back = from_json<worker_registration>(to_json(reg));
  REQUIRE(back);
  CHECK(*back == reg);
  v.capacity = 4;
  CHECK(runtime::subtree_hash(v) != *reg.skills_hash);
}

TEST_CASE("uplink settings are validated with errors naming the problem") {
  using runtime::load_config;
  auto ok = load_config({"--uplink", "http://127.0.0.1:1", "--uplink-id", "m",
                         "--uplink-token", "t", "--db", ""},
                        {});
  REQUIRE(ok);
  CHECK(ok->uplink_id == "m");
  auto env
      = load_config({"--db", ""}, {"RXON_UPLINK=https://p:1",
                                   "RXON_UPLINK_ID=m2", "RXON_UPLINK_TOKEN=t"});
  REQUIRE(env);
  CHECK(env->uplink == "https://p:1");
  temp_dir dir;
  {
    std::ofstream f{dir.file("rxon.json")};
    f << R"({"uplink": "http://10.0.0.1:8080", "uplink_id": "mid-f",
             "uplink-token": "t", "uplink-place-ms": 500, "db": ""})";
  }
  auto file = load_config({"--config", dir.file("rxon.json")}, {});
  REQUIRE(file);
  CHECK(file->uplink_id == "mid-f");
  CHECK(file->uplink_place_ms == 500);
  auto message = [](const std::vector<std::string>& args) {
    auto r = load_config(args, {});
    return r ? std::string{} : r.error().message;
  };
  CHECK(message(
            {"--uplink", "ftp://x", "--uplink-id", "m", "--uplink-token", "t"})
            .rfind("uplink: expected an http:// or https:// URL", 0)
        == 0);
  CHECK(message({"--uplink", "http://x:1", "--uplink-token", "t"})
        == "uplink-id: required with --uplink");
  CHECK(message({"--uplink", "http://x:1", "--uplink-id", "a b",
                 "--uplink-token", "t"})
        == "uplink-id: invalid identifier 'a b'");
  CHECK(message({"--uplink", "http://x:1", "--uplink-id", "m"})
        == "uplink-token: required with --uplink");
  CHECK(message({"--uplink-id", "m"})
        == "uplink: uplink-id and uplink-token need --uplink URL");
}

TEST_CASE("a subtree request with a wait is answered when a poll turns idle") {
  auto orch = orchestrator::start({});
  REQUIRE(orch);
  auto& o = **orch;
  std::promise<json::value> registered;
  o.register_holon(holon_reg("leaf", {"echo"}),
                   [&](result<json::value> r) { registered.set_value(*r); });
  registered.get_future().wait();
  std::promise<subtree_view> first;
  o.subtree(0, [&](result<subtree_view> v) { first.set_value(*v); });
  auto known = first.get_future().get();
  REQUIRE(known.full);
  CHECK(known.idle_polls == 0);

  std::promise<subtree_view> waited;
  auto answer = waited.get_future();
  o.subtree(
      known.version, [&](result<subtree_view> v) { waited.set_value(*v); },
      10'000);
  // Nothing idle, nothing changed: it waits.
  CHECK(answer.wait_for(std::chrono::milliseconds(100))
        == std::future_status::timeout);
  // The poll parks (and is answered, or dropped, at shutdown).
  o.poll(poll_req("leaf", 5'000), [](result<std::optional<task_payload>>) {});
  REQUIRE(answer.wait_for(std::chrono::seconds(5))
          == std::future_status::ready);
  auto v = answer.get();
  CHECK(v.idle_polls == 1);
  CHECK(v.idle["echo"] == 1);
  CHECK_FALSE(v.full);
}
