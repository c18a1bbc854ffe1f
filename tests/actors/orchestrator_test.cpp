// The orchestrator runtime through its API: real actors, real SQLite files.

#include "actors/orchestrator.hpp"
#include "actors/thread_policy.hpp"
#include "storage/store.hpp"
#include "support.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait_until.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

using namespace rxon;
using namespace rxon::actors;
using namespace rxon::test;
using namespace std::chrono_literals;

namespace {

/// Calls `f(callback)` and waits (bounded) for the callback's result.
template <class T, class F>
result<T> await(F&& f, std::chrono::milliseconds limit = 10s) {
  auto p = std::make_shared<std::promise<result<T>>>();
  auto fut = p->get_future();
  f([p](result<T> r) { p->set_value(std::move(r)); });
  if (fut.wait_for(limit) != std::future_status::ready)
    return error{errc::timeout, "no answer in time"};
  return fut.get();
}

/// A read-only store on the orchestrator's database in `dir`, which it
/// may still be writing.
std::unique_ptr<storage::store> open_reader(const temp_dir& dir) {
  auto st = storage::open_sqlite_store(
      {.path = dir.file("rxon.db"), .read_only = true});
  REQUIRE_MESSAGE(st.has_value(), (st ? "" : st.error().message));
  return std::move(*st);
}

std::unique_ptr<orchestrator> start(orchestrator_options opts) {
  auto o = orchestrator::start(std::move(opts));
  REQUIRE_MESSAGE(o.has_value(), (o ? "" : o.error().message));
  return std::move(*o);
}

void register_holon(orchestrator& o, worker_registration reg) {
  auto r = await<json::value>(
      [&](auto cb) { o.register_holon(std::move(reg), std::move(cb)); });
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  CHECK(r->find("status")->as_string() == "registered");
}

std::optional<task_payload> poll_once(orchestrator& o, const std::string& w,
                                      int64_t timeout_ms = 0) {
  auto r = await<std::optional<task_payload>>(
      [&](auto cb) { o.poll(poll_req(w, timeout_ms), std::move(cb)); });
  REQUIRE(r);
  return *r;
}

json::value post(orchestrator& o, const std::string& w, task_result res) {
  auto r = await<json::value>(
      [&](auto cb) { o.post_result(w, std::move(res), std::move(cb)); });
  REQUIRE(r);
  return *r;
}

job_ack submit(orchestrator& o, std::vector<task_spec> tasks) {
  auto r = await<job_ack>(
      [&](auto cb) { o.submit(job(std::move(tasks)), std::move(cb)); });
  REQUIRE(r);
  return *r;
}

/// A result's reply in one word: its status, the reason it was refused, or
/// the error.
std::string reply_word(const result<json::value>& r) {
  if (!r)
    return "error: " + r.error().message;
  if (const auto* why = r->find("reason"))
    return why->as_string();
  return r->find("status")->as_string();
}

std::string job_status(orchestrator& o, const std::string& job_id) {
  auto r = await<json::value>(
      [&](auto cb) { o.get_job("client", job_id, std::move(cb)); });
  REQUIRE(r);
  return r->find("status")->as_string();
}

} // namespace

TEST_CASE("the whole lifecycle runs through the actors and the store") {
  temp_dir dir;
  orchestrator_options opts;
  opts.db_path = dir.file("rxon.db");
  auto o = start(opts);
  register_holon(*o, holon_reg("w1", {"echo"}));
  auto ack = submit(*o, {task("echo"), task("echo")});
  CHECK(job_status(*o, ack.job_id) == "pending");
  for (int i = 0; i < 2; ++i) {
    auto t = poll_once(*o, "w1");
    REQUIRE(t);
    auto reply = post(*o, "w1", success(*t, json::object{{"i", i}}));
    CHECK(reply.find("status")->as_string() == "accepted");
  }
  CHECK_FALSE(poll_once(*o, "w1"));
  CHECK(job_status(*o, ack.job_id) == "finished");
  o->flush();
  // The store saw every change.
  auto store = open_reader(dir);
  auto counts = store->task_counts();
  REQUIRE(counts);
  CHECK((*counts)[storage::task_state::success] == 2);
}

TEST_CASE("a batch of results is answered, in order, as single results "
          "would be") {
  temp_dir dir;
  orchestrator_options opts;
  opts.db_path = dir.file("rxon.db");
  auto o = start(opts);
  register_holon(*o, holon_reg("w1", {"echo"}));
  register_holon(*o, holon_reg("w2", {"echo"}));
  auto ack = submit(*o, {task("echo"), task("echo"), task("echo")});
  auto a = poll_once(*o, "w1");
  auto b = poll_once(*o, "w1");
  auto c = poll_once(*o, "w2");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  auto item = [](std::string w, task_result r) {
    result_post p;
    p.worker_id = std::move(w);
    p.res = std::move(r);
    return p;
  };
  std::vector<result_post> batch;
  batch.push_back(item("w1", success(*a)));
  batch.push_back(item("w2", success(*c)));
  batch.push_back(item("w1", success(*a))); // a duplicate
  batch.push_back(item("w2", success(*b))); // another worker's task
  std::vector<std::string> replies;
  auto all = std::make_shared<std::promise<void>>();
  auto fut = all->get_future();
  for (std::size_t i = 0; i < batch.size(); ++i)
    batch[i].done
        = [&replies, all, last = i + 1 == batch.size()](result<json::value> r) {
            replies.push_back(reply_word(r));
            if (last)
              all->set_value();
          };
  o->post_results(std::move(batch));
  REQUIRE(fut.wait_for(10s) == std::future_status::ready);
  CHECK(replies
        == std::vector<std::string>{"accepted", "accepted", "stale_task",
                                    "worker_mismatch"});
  CHECK(job_status(*o, ack.job_id) == "running");
  auto last = post(*o, "w1", success(*b));
  CHECK(last.find("status")->as_string() == "accepted");
  CHECK(job_status(*o, ack.job_id) == "finished");
  o->flush();
  auto store = open_reader(dir);
  auto counts = store->task_counts();
  REQUIRE(counts);
  CHECK((*counts)[storage::task_state::success] == 3);
}

TEST_CASE("results posted back to back commit together, reply in order and "
          "come before later reads") {
  temp_dir dir;
  orchestrator_options opts;
  opts.db_path = dir.file("rxon.db");
  opts.dispatch.retain_terminal = 1; // finished jobs are read from the store
  auto o = start(opts);
  std::vector<job_ack> jobs;
  std::vector<task_payload> tasks;
  for (int i = 0; i < 5; ++i) {
    auto w = "w" + std::to_string(i);
    register_holon(*o, holon_reg(w, {"echo"}));
    jobs.push_back(submit(*o, {task("echo")}));
    auto t = poll_once(*o, w);
    REQUIRE(t);
    tasks.push_back(*t);
  }
  // Posted without waiting, as many workers do at once; the duplicate of
  // the last result (still in memory) is answered after it.
  std::vector<std::string> replies;
  std::mutex mtx;
  auto record = [&](result<json::value> r) {
    std::lock_guard<std::mutex> guard{mtx};
    replies.push_back(reply_word(r));
  };
  for (int i = 0; i < 4; ++i)
    o->post_result("w" + std::to_string(i), success(tasks[i]), record);
  o->post_result("w3", success(tasks[3]), record);
  // Evicted from memory, so read from the store: behind the results.
  CHECK(job_status(*o, jobs[0].job_id) == "finished");
  o->flush();
  {
    std::lock_guard<std::mutex> guard{mtx};
    CHECK(replies
          == std::vector<std::string>{"accepted", "accepted", "accepted",
                                      "accepted", "stale_task"});
  }
  // flush() returns once the results posted before it are committed and
  // answered, the last of many (here mostly duplicates) too.
  o->post_result("w4", success(tasks[4]), record);
  for (int i = 0; i < 300; ++i)
    o->post_result("w4", success(tasks[4]), record);
  o->flush();
  auto store = open_reader(dir);
  auto counts = store->task_counts();
  REQUIRE(counts);
  CHECK((*counts)[storage::task_state::success] == 5);
  std::lock_guard<std::mutex> guard{mtx};
  CHECK(replies.size() == 306);
}

TEST_CASE("a long poll is answered as soon as a task is submitted") {
  auto o = start({});
  register_holon(*o, holon_reg("w1", {"echo"}));
  auto p
      = std::make_shared<std::promise<result<std::optional<task_payload>>>>();
  auto fut = p->get_future();
  o->poll(poll_req("w1", 20'000), [p](auto r) { p->set_value(std::move(r)); });
  std::this_thread::sleep_for(20ms); // let the poll park first
  auto ack = submit(*o, {task("echo")});
  REQUIRE(fut.wait_for(5s) == std::future_status::ready);
  auto got = fut.get();
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->task_id == ack.task_ids[0]);
}

TEST_CASE("a holon that misses its heartbeat TTL is lost and its tasks are "
          "requeued") {
  orchestrator_options opts;
  opts.holon_ttl_ms = 150;
  auto o = start(opts);
  register_holon(*o, holon_reg("flaky", {"echo"}));
  register_holon(*o, holon_reg("steady", {"echo"}, {8}));
  auto ack = submit(*o, {task("echo")});
  auto t = poll_once(*o, "flaky");
  REQUIRE(t);
  // "steady" stays alive by polling; "flaky" goes silent.
  std::optional<task_payload> again;
  for (int i = 0; i < 100 && !again; ++i)
    again = poll_once(*o, "steady", 50);
  REQUIRE(again);
  CHECK(again->task_id == ack.task_ids[0]);
  auto holons = await<json::value>([&](auto cb) { o->list_holons(cb); });
  REQUIRE(holons);
  CHECK(holons->find("workers")->as_array().size() == 1);
}

TEST_CASE("a cancel reaches the worker's command channel") {
  auto o = start({});
  register_holon(*o, holon_reg("w1", {"echo"}));
  auto got = std::make_shared<std::promise<worker_command>>();
  auto fut = got->get_future();
  o->attach_commands("w1", [got](const worker_command& c) {
    try {
      got->set_value(c);
    } catch (...) {
    }
  });
  auto ack = submit(*o, {task("echo")});
  auto t = poll_once(*o, "w1");
  REQUIRE(t);
  auto r = await<json::value>(
      [&](auto cb) { o->cancel_task("client", t->task_id, cb); });
  REQUIRE(r);
  REQUIRE(fut.wait_for(5s) == std::future_status::ready);
  auto cmd = fut.get();
  CHECK(cmd.command == "cancel_task");
  CHECK(*cmd.task_id == t->task_id);
  CHECK(job_status(*o, ack.job_id) == "cancelled");
}

TEST_CASE("sub-orchestrators supervise their holons: the holarchy has its "
          "shape and losing a parent requeues its subtree") {
  orchestrator_options opts;
  opts.holon_ttl_ms = 200;
  auto o = start(opts);
  auto mid = holon_reg("mid", {"echo"});
  mid.worker_type = "orchestrator";
  register_holon(*o, mid);
  auto leaf = await<json::value>([&](auto cb) {
    o->register_child(holon_reg("leaf", {"echo"}, {8}), "mid", cb);
  });
  REQUIRE(leaf);
  auto tree = await<json::value>([&](auto cb) { o->holarchy(cb); });
  REQUIRE(tree);
  const auto& top = tree->find("children")->as_array();
  REQUIRE(top.size() == 1);
  CHECK(top[0].find("id")->as_string() == "mid");
  REQUIRE(top[0].find("children")->as_array().size() == 1);
  CHECK(top[0].find("children")->as_array()[0].find("id")->as_string()
        == "leaf");
  // The leaf takes a task, then the whole subtree goes silent.
  submit(*o, {task("echo")});
  REQUIRE(poll_once(*o, "leaf"));
  register_holon(*o, holon_reg("other", {"echo"}, {16}));
  std::optional<task_payload> again;
  for (int i = 0; i < 100 && !again; ++i)
    again = poll_once(*o, "other", 50);
  CHECK(again);
  auto after = await<json::value>([&](auto cb) { o->holarchy(cb); });
  REQUIRE(after);
  CHECK(after->find("children")->as_array().size() == 1);
}

TEST_CASE("unfinished tasks survive a restart of the orchestrator") {
  temp_dir dir;
  orchestrator_options opts;
  opts.db_path = dir.file("rxon.db");
  std::string done_id;
  job_ack ack;
  {
    auto o = start(opts);
    register_holon(*o, holon_reg("w1", {"echo"}));
    ack = submit(*o, {task("echo"), task("echo"), task("echo")});
    auto t = poll_once(*o, "w1");
    REQUIRE(t);
    post(*o, "w1", success(*t));
    done_id = t->task_id;
    REQUIRE(poll_once(*o, "w1")); // leased, never answered
  }
  auto o = start(opts);
  CHECK(o->recovered_tasks() == 2);
  // The holon comes back from the store; both open tasks are pending again.
  std::set<std::string> seen;
  for (int i = 0; i < 2; ++i) {
    auto t = poll_once(*o, "w1", 1'000);
    REQUIRE(t);
    CHECK(t->task_id != done_id);
    seen.insert(t->task_id);
    post(*o, "w1", success(*t));
  }
  CHECK(seen.size() == 2);
  CHECK(job_status(*o, ack.job_id) == "finished");
}

TEST_CASE("finished jobs are answered from the store once evicted") {
  temp_dir dir;
  orchestrator_options opts;
  opts.db_path = dir.file("rxon.db");
  opts.dispatch.retain_terminal = 1;
  auto o = start(opts);
  register_holon(*o, holon_reg("w1", {"echo"}));
  auto first = submit(*o, {task("echo")});
  post(*o, "w1", success(*poll_once(*o, "w1")));
  auto second = submit(*o, {task("echo")});
  post(*o, "w1", success(*poll_once(*o, "w1")));
  CHECK(job_status(*o, first.job_id) == "finished");
  auto list = await<json::value>([&](auto cb) {
    job_query q;
    q.owner = "client";
    o->list_jobs(q, cb);
  });
  REQUIRE(list);
  CHECK(list->find("jobs")->as_array().size() == 2);
  auto other = await<json::value>(
      [&](auto cb) { o->get_job("intruder", first.job_id, cb); });
  REQUIRE_FALSE(other);
  CHECK(other.error().code == errc::not_found);
  CHECK(second.task_ids.size() == 1);
}

TEST_CASE("while the writer is backlogged, new jobs wait their turn") {
  temp_dir dir;
  orchestrator_options opts;
  opts.db_path = dir.file("rxon.db");
  // Each group commits 300 ms after its first change: job A's 21 changes
  // sit in the writer's queue that long, over the backlog limit of 10.
  opts.commit_delay = 300ms;
  opts.max_write_backlog = 10;
  auto o = start(opts);
  using clock = std::chrono::steady_clock;
  struct acked {
    std::promise<clock::time_point> at;
    result<job_ack> ack = error{errc::timeout, "no answer"};
  };
  auto submit_timed = [&](int tasks, acked& a) {
    std::vector<task_spec> ts(static_cast<std::size_t>(tasks), task("echo"));
    o->submit(job(std::move(ts)), [&a](result<job_ack> r) {
      a.ack = std::move(r);
      a.at.set_value(clock::now());
    });
  };
  acked a, b, c;
  submit_timed(20, a); // accepted at once: the queue was empty
  submit_timed(1, b);  // held until A's group leaves the queue
  submit_timed(2, c);  // held behind B, even once B is accepted
  auto fa = a.at.get_future(), fb = b.at.get_future(), fc = c.at.get_future();
  REQUIRE(fa.wait_for(10s) == std::future_status::ready);
  REQUIRE(fb.wait_for(10s) == std::future_status::ready);
  REQUIRE(fc.wait_for(10s) == std::future_status::ready);
  REQUIRE(a.ack);
  REQUIRE(b.ack);
  REQUIRE(c.ack);
  auto ta = fa.get(), tb = fb.get(), tc = fc.get();
  // Accepted with A, B would have committed in A's group, acknowledged at
  // the same moment. Held, it was taken once A's group was committing, and
  // its own group waited out the commit delay again.
  CHECK(ta <= tb);
  CHECK(tb <= tc);
  CHECK(tb - ta >= 150ms);
  // Held is not lost: every task is stored, in submission order of jobs.
  o->flush();
  auto store = open_reader(dir);
  for (auto* x : {&a, &b, &c})
    for (const auto& id : x->ack->task_ids) {
      auto rec = store->task(id);
      REQUIRE(rec);
      CHECK(rec->has_value());
    }
  CHECK(a.ack->job_id < b.ack->job_id);
  CHECK(b.ack->job_id < c.ack->job_id);
}

TEST_CASE("a task view shows only what is already committed") {
  temp_dir dir;
  orchestrator_options opts;
  opts.db_path = dir.file("rxon.db");
  // A slow group commit widens the window between the change in memory and
  // the commit on disk.
  opts.commit_delay = 200ms;
  auto o = start(opts);
  register_holon(*o, holon_reg("w1", {"echo"}));
  auto ack = submit(*o, {task("echo")});
  auto t = poll_once(*o, "w1");
  REQUIRE(t);
  o->post_result("w1", success(*t), [](result<json::value>) {});
  auto view = await<json::value>(
      [&](auto cb) { o->get_task("client", ack.task_ids[0], std::move(cb)); });
  REQUIRE(view);
  REQUIRE(view->find("state"));
  CHECK(view->find("state")->as_string() == "success");
  // Another connection reads the file: the success is there already.
  auto store = open_reader(dir);
  auto rec = store->task(ack.task_ids[0]);
  REQUIRE(rec);
  REQUIRE(rec->has_value());
  CHECK((*rec)->state == storage::task_state::success);
}

namespace {

/// Scheduling policy of each thread of this process, from
/// /proc/self/task/*/stat (field 41, after the parenthesised name).
std::vector<int> thread_policies() {
  std::vector<int> out;
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in{t.path() / "stat"};
    std::string line;
    std::getline(in, line);
    auto close = line.rfind(')');
    if (close == std::string::npos)
      continue;
    std::istringstream rest{line.substr(close + 2)};
    std::string field;
    for (int i = 3; i <= 41 && rest >> field; ++i)
      if (i == 41)
        out.push_back(std::stoi(field));
  }
  return out;
}

int count_batch(const std::vector<int>& policies) {
  return static_cast<int>(std::count(policies.begin(), policies.end(), 3));
}

} // namespace

TEST_CASE("the actor and storage threads run under SCHED_BATCH, unless "
          "turned off") {
  temp_dir dir;
  auto before = count_batch(thread_policies());
  {
    orchestrator_options opts;
    opts.db_path = dir.file("rxon.db");
    auto o = start(opts);
    register_holon(*o, holon_reg("w1", {"echo"}));
    o->flush();
    // The writer, the WAL checkpointer, CAF's scheduler worker and clock.
    // Each switches itself once it first runs, which on a loaded host can
    // come a little after the orchestrator is up: wait, boundedly.
    CHECK(
        wait_until([&] { return count_batch(thread_policies()) >= before + 4; },
                   std::chrono::seconds(5)));
    // The caller's thread is left alone.
    CHECK_FALSE(runs_batch_scheduling());
  }
  orchestrator_options opts;
  opts.db_path = dir.file("rxon.db");
  opts.batch_scheduling = false;
  auto o = start(opts);
  register_holon(*o, holon_reg("w1", {"echo"}));
  o->flush();
  CHECK(count_batch(thread_policies()) == before);
}
