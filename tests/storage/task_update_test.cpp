// Narrow task updates, on every store kind: what they rewrite, in which
// order several apply (the SQLite store sends them 64 rows per statement),
// and how they move tasks in and out of the unfinished set.

#include "tests/storage/store_kinds.hpp"

#include <doctest/doctest.h>

using namespace rxon;
using namespace rxon::storage;
using namespace rxon::storage::test;

TEST_CASE_TEMPLATE("a task update rewrites only the mutable fields", Kind,
                   memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  auto t = make_task("t1");
  ok(f.st->apply({.jobs = {make_job("job-1")}, .tasks = {t}}));
  auto u = task_update::of(t);
  u.state = task_state::success;
  u.attempts = 2;
  u.holon_id = "h-1";
  u.result = json::object{{"out", 2.0}, {"gone", nullptr}};
  u.origin_worker_id = "leaf";
  u.updated_ms = 5000;
  ok(f.st->apply({.task_updates = {u}}));
  auto back = get(f.st->task("t1"));
  REQUIRE(back);
  u.apply_to(t);
  t.params = back->params; // compared in canonical form below
  t.requirements = back->requirements;
  t.result = json::object{{"out", 2}};
  CHECK(*back == t);
  CHECK(get(f.st->unfinished_tasks()).empty());
  CHECK(get(f.st->task_counts())
        == std::map<task_state, int64_t>{{task_state::success, 1}});
}

TEST_CASE_TEMPLATE("an update of a task not stored fails the whole batch", Kind,
                   memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  ok(f.st->apply({.jobs = {make_job("job-1")}}));
  auto ghost = task_update::of(make_task("ghost"));
  auto st = f.st->apply({.tasks = {make_task("t1")}, .task_updates = {ghost}});
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::conflict);
  CHECK(st.error().message.find("ghost") != std::string::npos);
  CHECK_FALSE(get(f.st->task("t1")));
  // Put and update of one task in one batch: the update applies last.
  auto u = task_update::of(make_task("t1"));
  u.state = task_state::running;
  ok(f.st->apply({.tasks = {make_task("t1")}, .task_updates = {u}}));
  CHECK(get(f.st->task("t1"))->state == task_state::running);
}

TEST_CASE_TEMPLATE("a put after updates replaces the whole task, its state "
                   "included",
                   Kind, memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  ok(f.st->apply({.jobs = {make_job("job-1")}, .tasks = {make_task("t1")}}));
  auto u = task_update::of(make_task("t1"));
  u.state = task_state::success;
  u.attempts = 3;
  u.holon_id = "h-1";
  u.result = json::object{{"out", 1}};
  u.origin_worker_id = "leaf";
  ok(f.st->apply({.task_updates = {u}}));
  REQUIRE(get(f.st->task("t1"))->state == task_state::success);
  // The SQLite store keeps the state change apart from the row as put;
  // the later put must win over both.
  auto again = make_task("t1", "job-1", task_state::pending, 4000);
  again.params = json::object{{"n", 2}};
  ok(f.st->apply({.tasks = {again}}));
  CHECK(get(f.st->task("t1")) == again);
  CHECK(ids(get(f.st->unfinished_tasks())) == std::vector<std::string>{"t1"});
  CHECK(get(f.st->task_counts())
        == std::map<task_state, int64_t>{{task_state::pending, 1}});
  // And updates apply to it afterwards as before.
  auto run = task_update::of(again);
  run.state = task_state::running;
  ok(f.st->apply({.task_updates = {run}}));
  run.apply_to(again);
  CHECK(get(f.st->task("t1")) == again);
}

TEST_CASE_TEMPLATE("an invalid task update is refused with the field named",
                   Kind, memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  ok(f.st->apply({.jobs = {make_job("job-1")}, .tasks = {make_task("t1")}}));
  auto u = task_update::of(make_task("t1"));
  u.error = json::value{std::string{"\xFF"}};
  auto st = f.st->apply({.task_updates = {u}});
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::invalid_value);
  CHECK(st.error().message.find("error") != std::string::npos);
  u.error = {};
  u.task_id.clear();
  CHECK_FALSE(f.st->apply({.task_updates = {u}}));
}

TEST_CASE_TEMPLATE(
    "large batches of task updates apply in order and fail whole", Kind,
    memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  // Sizes around the SQLite store's multi-row updates (64 rows).
  change_batch put{.jobs = {make_job("job-1")}};
  for (int i = 0; i < 150; ++i)
    put.tasks.push_back(make_task(task_id_of(1000 + i)));
  ok(f.st->apply(put));
  auto update = [](int i, task_state s, const char* holon) {
    auto u = task_update::of(make_task(task_id_of(i)));
    u.state = s;
    // Not `= holon`: g++ 12 then warns -Wrestrict on inlined char_traits
    // code (a false positive, GCC bug 105329).
    u.holon_id = std::string{holon};
    return u;
  };
  change_batch b;
  for (int i = 0; i < 150; ++i)
    b.task_updates.push_back(update(1000 + i, task_state::running, "h"));
  // Several updates of one task, within a chunk and across chunks: the
  // last one wins. t1020, t1040 and t1100 are left out.
  b.task_updates[20] = update(1010, task_state::failure, "h-early");
  b.task_updates[40] = update(1010, task_state::success, "h-last");
  b.task_updates[100] = update(1005, task_state::timeout, "h-late");
  ok(f.st->apply(b));
  CHECK(get(f.st->task("t1010"))->holon_id == "h-last");
  CHECK(get(f.st->task("t1005"))->state == task_state::timeout);
  CHECK(get(f.st->task("t1149"))->state == task_state::running);
  const std::map<task_state, int64_t> counts{{task_state::pending, 3},
                                             {task_state::running, 145},
                                             {task_state::success, 1},
                                             {task_state::timeout, 1}};
  CHECK(get(f.st->task_counts()) == counts);
  // An update of a task not stored, in the second chunk: nothing applies.
  change_batch bad;
  for (int i = 0; i < 150; ++i)
    bad.task_updates.push_back(update(1000 + i, task_state::success, "h"));
  bad.task_updates[70] = update(7, task_state::success, "h");
  auto st = f.st->apply(bad);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::conflict);
  CHECK_MESSAGE(st.error().message.find("'t7'") != std::string::npos,
                st.error().message);
  CHECK(get(f.st->task_counts()) == counts);
  // 30 updates go as 16 + 4 + 4 + 4 + 1 + 1 rows: one not stored in a
  // 4-row statement fails the batch the same way.
  change_batch small;
  for (int i = 0; i < 30; ++i)
    small.task_updates.push_back(update(1000 + i, task_state::success, "h"));
  small.task_updates[21] = update(8, task_state::success, "h");
  st = f.st->apply(small);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::conflict);
  CHECK_MESSAGE(st.error().message.find("'t8'") != std::string::npos,
                st.error().message);
  CHECK(get(f.st->task_counts()) == counts);
  // And the same 30 without it apply, the last of t1001's two winning.
  small.task_updates[21] = update(1001, task_state::failure, "h-last");
  ok(f.st->apply(small));
  CHECK(get(f.st->task("t1001"))->holon_id == "h-last");
  CHECK(get(f.st->task("t1029"))->state == task_state::success);
  CHECK(get(f.st->task("t1030"))->state == task_state::running);
}

TEST_CASE_TEMPLATE("unfinished tasks follow updates in any order", Kind,
                   memory_kind, sqlite_kind, sqlite_memory_kind) {
  fixture<Kind> f;
  change_batch put{.jobs = {make_job("job-1")}};
  for (int i = 0; i < 70; ++i)
    put.tasks.push_back(make_task(task_id_of(i)));
  put.tasks[3].state = task_state::success;
  ok(f.st->apply(put));
  auto update = [](int i, task_state s) {
    auto u = task_update::of(make_task(task_id_of(i)));
    u.state = s;
    return u;
  };
  // 70 moves to running (a full chunk): t3 is reopened among them.
  change_batch advance;
  for (int i = 0; i < 70; ++i)
    advance.task_updates.push_back(update(i, task_state::running));
  ok(f.st->apply(advance));
  CHECK(get(f.st->unfinished_tasks()).size() == 70);
  // One task finished and reopened in one batch, another the other way.
  ok(f.st->apply(
      {.task_updates
       = {update(1, task_state::success), update(1, task_state::assigned),
          update(2, task_state::assigned), update(2, task_state::timeout)}}));
  auto open = ids(get(f.st->unfinished_tasks()));
  CHECK(open.size() == 69);
  auto has = [&](const char* id) {
    for (const auto& o : open)
      if (o == id)
        return true;
    return false;
  };
  CHECK(has("t1"));
  CHECK_FALSE(has("t2"));
  CHECK(get(f.st->task("t2"))->state == task_state::timeout);
  // Reopened alone, through the single-row path.
  ok(f.st->apply({.task_updates = {update(2, task_state::pending)}}));
  CHECK(get(f.st->unfinished_tasks()).size() == 70);
}
