#include "storage/writer.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/wait_until.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

using namespace rxon;
using namespace rxon::storage;
using namespace rxon::storage::test;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<store> open_file(const temp_dir& dir, bool read_only = false) {
  auto st = open_sqlite_store(
      {.path = dir.file("rxon.db"), .read_only = read_only});
  if (!st)
    FAIL(st.error().message);
  return std::move(*st);
}

/// Row writes to `tasks` of kind `op` ('insert' or 'update') counted by
/// the triggers add_write_counters() created.
int64_t row_writes(const temp_dir& dir, const char* op) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.file("rxon.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT count(*) FROM row_writes WHERE op = ?1",
                             -1, &s, nullptr)
          == SQLITE_OK);
  sqlite3_bind_text(s, 1, op, -1, SQLITE_STATIC);
  int64_t n = -1;
  if (sqlite3_step(s) == SQLITE_ROW)
    n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

/// A migrated file whose triggers log every row write of a task: a put
/// inserts ('insert') or rewrites ('update') its task_base row, a state
/// change writes a task_states row ('state').
void add_write_counters(const temp_dir& dir) {
  open_file(dir).reset();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.file("rxon.db").c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db,
                     "CREATE TABLE row_writes(op TEXT);"
                     "CREATE TRIGGER count_inserts AFTER INSERT ON task_base "
                     "BEGIN INSERT INTO row_writes VALUES ('insert'); END;"
                     "CREATE TRIGGER count_updates AFTER UPDATE ON task_base "
                     "BEGIN INSERT INTO row_writes VALUES ('update'); END;"
                     "CREATE TRIGGER count_states AFTER INSERT ON task_states "
                     "BEGIN INSERT INTO row_writes VALUES ('state'); END;",
                     nullptr, nullptr, nullptr)
        == SQLITE_OK);
  sqlite3_close(db);
}

} // namespace

TEST_CASE("ten thousand submits from two threads share few commits") {
  temp_dir dir;
  constexpr int per_thread = 5000;
  constexpr int total = 2 * per_thread;
  std::vector<std::atomic<int>> calls(total);
  std::atomic<int> failed{0};
  uint64_t commits = 0;
  {
    writer w{open_file(dir)};
    w.submit({.jobs = {make_job("job-1")}});
    auto produce = [&](int base) {
      for (int i = base; i < base + per_thread; ++i)
        w.submit({.tasks = {make_task(task_id_of(i))}},
                 [&, i](const status& st) {
                   calls[i].fetch_add(1);
                   if (!st)
                     failed.fetch_add(1);
                 });
    };
    std::thread a{produce, 0};
    std::thread b{produce, per_thread};
    a.join();
    b.join();
    w.flush();
    commits = w.commits();
    std::size_t stored = 0;
    w.read([&](store& st) {
      if (auto ts = st.tasks_of_job("job-1"))
        stored = ts->size();
    });
    w.flush();
    CHECK(stored == total);
  }
  MESSAGE("commits for ", total, " submits: ", commits);
  CHECK(commits >= 1);
  CHECK(commits < total / 10);
  CHECK(failed.load() == 0);
  for (int i = 0; i < total; ++i)
    REQUIRE(calls[i].load() == 1);
}

TEST_CASE("each callback runs after its data is readable elsewhere") {
  temp_dir dir;
  auto written = open_file(dir);
  auto observer = open_file(dir, true); // another connection, in callbacks
  std::vector<int> seen;                // written by the writer thread only
  std::atomic<int> visible{0};
  {
    writer w{std::move(written), {.max_delay = 500us, .max_changes = 64}};
    w.submit({.jobs = {make_job("job-1")}});
    for (int i = 0; i < 300; ++i) {
      auto t = make_task(task_id_of(i));
      w.submit({.tasks = {t}}, [&, i, t](const status& st) {
        CHECK(st.has_value());
        seen.push_back(i);
        auto got = observer->task(t.task_id);
        if (got && *got == t)
          visible.fetch_add(1);
      });
    }
  }
  CHECK(visible.load() == 300);
  REQUIRE(seen.size() == 300);
  for (int i = 0; i < 300; ++i)
    CHECK(seen[static_cast<std::size_t>(i)] == i); // submission order
}

TEST_CASE("a read sees every earlier submission") {
  temp_dir dir;
  writer w{open_file(dir), {.max_delay = 50ms}};
  w.submit({.jobs = {make_job("job-1")}});
  for (int i = 0; i < 100; ++i)
    w.submit({.tasks = {make_task(task_id_of(i))}});
  std::size_t n = 0;
  std::atomic<bool> done{false};
  w.read([&](store& st) {
    if (auto ts = st.tasks_of_job("job-1"))
      n = ts->size();
    done = true;
  });
  w.flush();
  CHECK(done.load());
  CHECK(n == 100);
}

TEST_CASE("the destructor commits everything pending") {
  temp_dir dir;
  std::atomic<int> acked{0};
  {
    // A long delay: only the destructor can make these commit in time.
    writer w{open_file(dir), {.max_delay = 10s, .max_changes = 1 << 20}};
    w.submit({.jobs = {make_job("job-1")}});
    for (int i = 0; i < 500; ++i)
      w.submit({.tasks = {make_task(task_id_of(i))}}, [&](const status& st) {
        if (st)
          acked.fetch_add(1);
      });
    CHECK(w.queued_changes() == 501);
    CHECK(acked.load() == 0);
  }
  CHECK(acked.load() == 500);
  auto st = open_file(dir);
  auto ts = st->tasks_of_job("job-1");
  REQUIRE(ts.has_value());
  CHECK(ts->size() == 500);
}

TEST_CASE("a failed group reports its error and the writer keeps working") {
  temp_dir dir;
  writer w{open_file(dir), {.max_delay = 1s}};
  std::mutex mtx;
  std::vector<std::pair<std::string, status>> outcomes;
  auto record = [&](std::string name) {
    return [&, name](const status& st) {
      std::lock_guard<std::mutex> guard{mtx};
      outcomes.emplace_back(name, st);
    };
  };
  w.submit({.jobs = {make_job("job-1")}}, record("job"));
  auto invalid = make_task("bad");
  invalid.priority = std::numeric_limits<double>::quiet_NaN();
  w.submit({.tasks = {invalid}}, record("invalid"));
  w.flush(); // one group: the invalid submission is left out alone
  w.submit({.tasks = {make_task("t1")}}, record("t1"));
  w.submit({.tasks = {make_task("orphan", "no-such-job")}}, record("orphan"));
  w.flush(); // one group that fails as a whole
  w.submit({.tasks = {make_task("t2")}}, record("t2"));
  w.flush();
  std::lock_guard<std::mutex> guard{mtx};
  REQUIRE(outcomes.size() == 5);
  CHECK(outcomes[0].first == "job");
  CHECK(outcomes[0].second.has_value());
  CHECK(outcomes[1].first == "invalid");
  REQUIRE_FALSE(outcomes[1].second.has_value());
  CHECK(outcomes[1].second.error().code == errc::invalid_value);
  CHECK(outcomes[2].first == "t1");
  REQUIRE_FALSE(outcomes[2].second.has_value());
  CHECK(outcomes[2].second.error().code == errc::conflict);
  CHECK(outcomes[3].first == "orphan");
  CHECK_FALSE(outcomes[3].second.has_value());
  CHECK(outcomes[4].first == "t2");
  CHECK(outcomes[4].second.has_value());
  w.read([](store& st) {
    CHECK_FALSE(st.task("t1")->has_value());
    CHECK(st.task("t2")->has_value());
    CHECK_FALSE(st.task("bad")->has_value());
  });
  w.flush();
}

TEST_CASE("upserts of one task within a group collapse to the last one") {
  temp_dir dir;
  writer w{open_file(dir), {.max_delay = 1s}};
  w.submit({.jobs = {make_job("job-1")}});
  auto last = make_task("t1");
  for (int i = 0; i < 50; ++i) {
    last.attempts = i;
    last.state = i % 2 ? task_state::running : task_state::pending;
    w.submit({.tasks = {last}});
  }
  // A holon removed in one submission and put again in a later one stays.
  w.submit({.holons = {make_holon("h1")}});
  w.submit({.removed_holons = {"h1"}});
  w.submit({.holons = {make_holon("h1", 7)}});
  w.submit({.holons = {make_holon("h2")}});
  w.submit({.removed_holons = {"h2"}});
  w.flush();
  CHECK(w.commits() == 1);
  w.read([&](store& st) {
    CHECK(st.task("t1")->value() == last);
    auto hs = st.holons();
    REQUIRE(hs.has_value());
    REQUIRE(hs->size() == 1);
    CHECK(hs->front() == make_holon("h1", 7));
    CHECK(st.task_counts().value()
          == std::map<task_state, int64_t>{{task_state::running, 1}});
  });
  w.flush();
}

TEST_CASE("batches larger than max_changes are split into several commits") {
  temp_dir dir;
  writer w{open_file(dir), {.max_delay = 1s, .max_changes = 10}};
  w.submit({.jobs = {make_job("job-1")}});
  for (int i = 0; i < 40; ++i)
    w.submit({.tasks = {make_task(task_id_of(i))}});
  w.flush();
  // 41 changes in groups of at most 10: at least five transactions.
  CHECK(w.commits() >= 5);
  w.read([](store& st) { CHECK(st.tasks_of_job("job-1")->size() == 40); });
  w.flush();
}

TEST_CASE("a change group drops what its later batches override") {
  change_batch a1{.holons = {make_holon("h1")}, .removed_holons = {"h2"}};
  change_batch a2{.holons = {make_holon("h2")}, .removed_holons = {"h1"}};
  change_group a;
  a.add(a1);
  a.add(a2);
  auto seen = a.materialize();
  CHECK(seen.holons == std::vector<holon_record>{make_holon("h2")});
  CHECK(seen.removed_holons == std::vector<std::string>{"h1"});
  change_batch b1{.tasks = {make_task("t1")},
                  .events = {make_event("t1", "x")}};
  change_batch b2{.tasks = {make_task("t2")}};
  change_group b;
  CHECK(b.empty());
  b.add(b1);
  b.add(b2);
  CHECK(b.tasks.size() == 2);
  CHECK(b.events.size() == 1);
  CHECK_FALSE(b.empty());
  // Updates apply after puts: a later put of the task supersedes them.
  change_batch c1{.task_updates = {task_update::of(make_task("t1")),
                                   task_update::of(make_task("t3"))}};
  change_batch c2{.tasks = {make_task("t1")}};
  change_batch c3{.task_updates = {task_update::of(make_task("t1"))}};
  change_group c;
  c.add(c1);
  c.add(c2);
  REQUIRE(c.task_updates.size() == 1);
  CHECK(c.task_updates[0]->task_id == "t3");
  c.add(c3);
  CHECK(c.task_updates.size() == 2);
}

TEST_CASE("a group of batches means what applying them in order means") {
  // Random sequences of small batches over a few ids meet every rule of
  // change_group::add. Three stores see the same setup; then one applies
  // the batches one by one, one a copy of the group, and SQLite the group
  // itself (its own path); all must read back alike after every group.
  std::mt19937 rng{7};
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  auto id
      = [&](const char* prefix) { return prefix + std::to_string(pick(4)); };
  auto random_batch = [&] {
    change_batch b;
    for (int k = pick(3); k > 0; --k)
      b.jobs.push_back(make_job(id("job-"), "alice", 1 + pick(100)));
    for (int k = pick(4); k > 0; --k) {
      auto t = make_task(id("t"), id("job-"));
      t.priority = pick(10);
      b.tasks.push_back(t);
    }
    for (int k = pick(4); k > 0; --k) {
      auto u = task_update::of(make_task(id("t")));
      u.state = task_state::running;
      u.attempts = 1 + pick(100);
      b.task_updates.push_back(u);
    }
    for (int k = pick(3); k > 0; --k)
      b.holons.push_back(make_holon(id("h"), 1 + pick(100)));
    for (int k = pick(3); k > 0; --k)
      b.removed_holons.push_back(id("h"));
    for (int k = pick(2); k > 0; --k)
      b.events.push_back(make_event(id("t"), "x"));
    return b;
  };
  change_batch setup;
  for (int i = 0; i < 4; ++i) {
    setup.jobs.push_back(make_job("job-" + std::to_string(i)));
    setup.tasks.push_back(
        make_task("t" + std::to_string(i), "job-" + std::to_string(i)));
  }
  auto in_order = make_memory_store();
  auto copied = make_memory_store();
  auto sqlite = open_sqlite_store({.path = ":memory:"});
  REQUIRE(sqlite);
  for (auto* st : {in_order.get(), copied.get(), sqlite->get()})
    REQUIRE(st->apply(setup));
  for (int round = 0; round < 200; ++round) {
    std::vector<change_batch> batches(1 + static_cast<std::size_t>(pick(5)));
    change_group group;
    for (auto& b : batches) {
      b = random_batch();
      REQUIRE(in_order->apply(b));
      group.add(b);
    }
    REQUIRE(copied->apply(group.materialize()));
    REQUIRE((*sqlite)->apply_group(group));
    for (auto* st : {copied.get(), sqlite->get()}) {
      for (int i = 0; i < 4; ++i) {
        auto n = std::to_string(i);
        CHECK(*st->task("t" + n) == *in_order->task("t" + n));
        CHECK(*st->job("job-" + n) == *in_order->job("job-" + n));
        CHECK(*st->events("t" + n) == *in_order->events("t" + n));
      }
      CHECK(*st->holons() == *in_order->holons());
    }
  }
}

TEST_CASE("task states round-trip through their names") {
  for (int i = 0; i <= static_cast<int>(task_state::quarantined); ++i) {
    auto s = static_cast<task_state>(i);
    CHECK(parse_task_state(to_string(s)) == s);
  }
  CHECK_FALSE(parse_task_state("Pending").has_value());
  CHECK_FALSE(parse_task_state("").has_value());
  CHECK(is_terminal(task_state::cancelled));
  CHECK_FALSE(is_terminal(task_state::running));
}

TEST_CASE("a task put and updated within one group is written once") {
  temp_dir dir;
  add_write_counters(dir);
  writer w{open_file(dir), {.max_delay = 1s}};
  auto t1 = make_task("t1");
  auto t2 = make_task("t2");
  w.submit({.jobs = {make_job("job-1")}, .tasks = {t2}});
  w.submit({.tasks = {t1}});
  auto assigned = task_update::of(t1);
  assigned.state = task_state::assigned;
  assigned.attempts = 2;
  assigned.holon_id = "h-1";
  assigned.lease_expiry_ms = 9000;
  w.submit({.task_updates = {assigned}});
  auto done = assigned;
  done.state = task_state::success;
  done.lease_expiry_ms = 0;
  done.result = json::object{{"out", 1}};
  done.origin_worker_id = "leaf-9";
  done.updated_ms = 7000;
  w.submit({.task_updates = {done}});
  w.flush();
  CHECK(w.commits() == 1);
  CHECK(row_writes(dir, "insert") == 2);
  CHECK(row_writes(dir, "update") == 0);
  CHECK(row_writes(dir, "state") == 0);
  // An update of a task put in an earlier group still applies.
  auto running = task_update::of(t2);
  running.state = task_state::running;
  running.updated_ms = 8000;
  w.submit({.task_updates = {running}});
  w.flush();
  CHECK(w.commits() == 2);
  CHECK(row_writes(dir, "state") == 1);
  CHECK(row_writes(dir, "update") == 0);
  done.apply_to(t1);
  running.apply_to(t2);
  w.read([&](store& st) {
    CHECK(st.task("t1")->value() == t1);
    CHECK(st.task("t2")->value() == t2);
    CHECK(st.task_counts().value()
          == std::map<task_state, int64_t>{{task_state::running, 1},
                                           {task_state::success, 1}});
  });
  w.flush();
}

TEST_CASE("a paced writer with time to spare commits at once") {
  temp_dir dir;
  // Were this lone submission held for a group, it would wait 30 s.
  writer w{open_file(dir),
           {.max_delay = 0us, .busy_gather = 30s, .quiet_gap = 30s}};
  std::promise<void> acked;
  w.submit({.jobs = {make_job("job-1")}}, [&](const status& st) {
    CHECK(st.has_value());
    acked.set_value();
  });
  CHECK(acked.get_future().wait_for(10s) == std::future_status::ready);
  CHECK(w.commits() == 1);
}

TEST_CASE("a loaded paced writer gathers while changes keep arriving") {
  temp_dir dir;
  // A busy_gather far beyond the test: only a quiet gap can end the group.
  writer w{open_file(dir),
           {.max_delay = 0us, .busy_gather = 60s, .quiet_gap = 500ms}};
  // The first group's callback keeps the writer busy for 150 ms, so it has
  // spent more time committing than waiting; meanwhile tasks arrive.
  std::promise<void> committing;
  w.submit({.jobs = {make_job("job-1")}}, [&](const status&) {
    committing.set_value();
    std::this_thread::sleep_for(150ms);
  });
  committing.get_future().wait();
  constexpr int total = 16;
  std::atomic<int> acked{0};
  std::vector<uint64_t> commits_seen(total);
  std::promise<void> last;
  for (int i = 0; i < total; ++i) {
    w.submit({.tasks = {make_task(task_id_of(i))}}, [&, i](const status& st) {
      CHECK(st.has_value());
      commits_seen[static_cast<std::size_t>(i)] = w.commits();
      if (acked.fetch_add(1) + 1 == total)
        last.set_value();
    });
    std::this_thread::sleep_for(20ms); // arrivals keep coming, 320 ms long
  }
  REQUIRE(last.get_future().wait_for(20s) == std::future_status::ready);
  // Every task went in the one group that gathered after the busy commit;
  // a writer that committed whatever was queued would have made several.
  CHECK(w.commits() == 2);
  for (auto c : commits_seen)
    CHECK(c == 2);
}

namespace {

/// A memory store that counts the writer's idle() calls.
class idle_counting_store final : public store {
public:
  std::atomic<int> idles{0};
  status apply_valid(const change_batch& b) override {
    return inner_->apply_valid(b);
  }
  void idle() override { ++idles; }
  result<std::vector<task_record>> unfinished_tasks() override {
    return inner_->unfinished_tasks();
  }
  result<std::optional<task_record>> task(const std::string& id) override {
    return inner_->task(id);
  }
  result<std::optional<job_record>> job(const std::string& id) override {
    return inner_->job(id);
  }
  result<std::vector<task_record>>
  tasks_of_job(const std::string& job_id) override {
    return inner_->tasks_of_job(job_id);
  }
  result<std::vector<job_record>> jobs(const std::string& owner,
                                       std::size_t limit,
                                       std::size_t offset) override {
    return inner_->jobs(owner, limit, offset);
  }
  result<std::vector<holon_record>> holons() override {
    return inner_->holons();
  }
  result<std::map<task_state, int64_t>> task_counts() override {
    return inner_->task_counts();
  }
  result<std::map<task_state, int64_t>>
  task_counts_of_job(const std::string& job_id) override {
    return inner_->task_counts_of_job(job_id);
  }
  result<std::vector<event_record>>
  events(const std::string& task_id) override {
    return inner_->events(task_id);
  }

private:
  std::unique_ptr<store> inner_ = make_memory_store();
};

} // namespace

TEST_CASE("a writer quiet for idle_after or flushed runs the store's "
          "housekeeping") {
  auto owned = std::make_unique<idle_counting_store>();
  auto& st = *owned;
  writer w{std::move(owned), {.idle_after = 300ms}};
  REQUIRE(rxon::test::wait_until([&] { return st.idles.load() == 1; }));
  // While submissions keep coming far more often than idle_after, no more.
  for (int i = 0; i < 30; ++i) {
    w.read([](store&) {});
    std::this_thread::sleep_for(10ms);
  }
  CHECK(st.idles.load() == 1);
  // The next quiet spell runs it again, once.
  REQUIRE(rxon::test::wait_until([&] { return st.idles.load() == 2; }));
  std::this_thread::sleep_for(700ms);
  CHECK(st.idles.load() == 2);
  // A flush runs it too: its caller waits anyway.
  w.flush();
  CHECK(st.idles.load() == 3);
}
