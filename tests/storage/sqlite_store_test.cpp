// SQLite-only behaviour (files, schema versions) and a differential run of
// the memory twin against SQLite on a generated sequence of batches.

#include "storage/schema.hpp"
#include "storage/store.hpp"
#include "tests/storage/storage_support.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <fstream>
#include <random>

using namespace rxon;
using namespace rxon::storage;
using namespace rxon::storage::test;

namespace {

template <class T>
T get(result<T> r) {
  if (!r)
    FAIL(r.error().message);
  return std::move(*r);
}

/// Runs one SQL statement returning an integer through a separate raw
/// connection (as an operator with the sqlite3 shell would).
int64_t query_int(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr)
          == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000); // the store's checkpointer may hold a lock
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK);
  int64_t out = -1;
  if (sqlite3_step(s) == SQLITE_ROW)
    out = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

void exec_raw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  CHECK_MESSAGE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err)
                    == SQLITE_OK,
                (err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
}

/// Turns a v5 file back into the v4 layout: task_states keyed by task_id,
/// task_base without task_seq (its constraints as v4 had them).
constexpr const char* undo_v5
    = "CREATE TABLE base_v4 (task_id TEXT PRIMARY KEY NOT NULL, "
      "job_id TEXT NOT NULL REFERENCES jobs(job_id), type TEXT NOT NULL, "
      "state TEXT NOT NULL CHECK (state IN ('pending', 'assigned', "
      "'running', 'success', 'failure', 'cancelled', 'timeout', "
      "'quarantined')), attempts INTEGER NOT NULL, "
      "max_attempts INTEGER NOT NULL, holon_id TEXT NOT NULL, "
      "lease_expiry_ms INTEGER NOT NULL, not_before_ms INTEGER NOT NULL, "
      "priority REAL NOT NULL, deadline_ms INTEGER, max_cost REAL, "
      "params TEXT, requirements TEXT, skill TEXT, result TEXT, error TEXT, "
      "origin_worker_id TEXT NOT NULL, created_ms INTEGER NOT NULL, "
      "updated_ms INTEGER NOT NULL); "
      "INSERT INTO base_v4 SELECT task_id, job_id, type, state, attempts, "
      "max_attempts, holon_id, lease_expiry_ms, not_before_ms, priority, "
      "deadline_ms, max_cost, params, requirements, skill, result, error, "
      "origin_worker_id, created_ms, updated_ms FROM task_base; "
      "CREATE TABLE states_v4 (task_id TEXT PRIMARY KEY NOT NULL, "
      "state TEXT NOT NULL, attempts INTEGER NOT NULL, "
      "holon_id TEXT NOT NULL, lease_expiry_ms INTEGER NOT NULL, "
      "not_before_ms INTEGER NOT NULL, result TEXT, error TEXT, "
      "origin_worker_id TEXT NOT NULL, updated_ms INTEGER NOT NULL) "
      "WITHOUT ROWID; "
      "INSERT INTO states_v4 SELECT b.task_id, s.state, s.attempts, "
      "s.holon_id, s.lease_expiry_ms, s.not_before_ms, s.result, s.error, "
      "s.origin_worker_id, s.updated_ms "
      "FROM task_states s JOIN task_base b USING (task_seq); "
      "DROP VIEW tasks; DROP TRIGGER task_base_put; DROP TABLE task_states; "
      "DROP TABLE task_base; ALTER TABLE base_v4 RENAME TO task_base; "
      "ALTER TABLE states_v4 RENAME TO task_states; "
      "CREATE INDEX tasks_by_job ON task_base(job_id); "
      "CREATE TRIGGER task_base_put AFTER UPDATE ON task_base BEGIN "
      "DELETE FROM task_states WHERE task_id = new.task_id; END; "
      "CREATE VIEW tasks AS SELECT b.task_id, b.job_id, b.type, "
      "ifnull(s.state, b.state) AS state, "
      "ifnull(s.attempts, b.attempts) AS attempts, b.max_attempts, "
      "ifnull(s.holon_id, b.holon_id) AS holon_id, "
      "ifnull(s.lease_expiry_ms, b.lease_expiry_ms) AS lease_expiry_ms, "
      "ifnull(s.not_before_ms, b.not_before_ms) AS not_before_ms, "
      "b.priority, b.deadline_ms, b.max_cost, b.params, b.requirements, "
      "b.skill, CASE WHEN s.task_id IS NULL THEN b.result ELSE s.result END "
      "AS result, CASE WHEN s.task_id IS NULL THEN b.error ELSE s.error END "
      "AS error, ifnull(s.origin_worker_id, b.origin_worker_id) AS "
      "origin_worker_id, b.created_ms, "
      "ifnull(s.updated_ms, b.updated_ms) AS updated_ms "
      "FROM task_base b LEFT JOIN task_states s USING (task_id); "
      "PRAGMA user_version = 4; ";

/// Turns a v4 file back into the v3 layout (one `tasks` table holding each
/// task's current state), the first step of every older stand-in below.
constexpr const char* undo_v4
    = "CREATE TABLE tasks_v3 AS SELECT * FROM tasks; DROP VIEW tasks; "
      "DROP TRIGGER task_base_put; DROP TABLE task_states; "
      "DELETE FROM task_base; INSERT INTO task_base SELECT * FROM tasks_v3; "
      "DROP TABLE tasks_v3; ALTER TABLE task_base RENAME TO tasks; "
      "PRAGMA user_version = 3; ";

/// "t17" style ids (the concatenation operator trips a GCC 12 -Wrestrict
/// false positive).
std::string name(const char* prefix, int n) {
  std::string s = prefix;
  s += std::to_string(n);
  return s;
}

} // namespace

TEST_CASE("a reopened SQLite file keeps everything") {
  temp_dir dir;
  auto path = dir.file("rxon.db");
  change_batch b;
  b.jobs = {make_job("job-1")};
  b.tasks = {make_task("t1"), make_task("t2", "job-1", task_state::success)};
  b.holons = {make_holon("holon-a")};
  b.events = {make_event("t1", "task_created")};
  for (auto mode : {sync_mode::full, sync_mode::normal}) {
    auto st = get(open_sqlite_store({.path = path, .synchronous = mode}));
    if (mode == sync_mode::full)
      REQUIRE(st->apply(b).has_value());
    // Second round: everything is still there after the reopen.
    CHECK(get(st->job("job-1")) == b.jobs[0]);
    CHECK(get(st->tasks_of_job("job-1")) == b.tasks);
    CHECK(get(st->holons()) == b.holons);
    CHECK(get(st->events("t1")) == b.events);
  }
  CHECK(query_int(path, "SELECT count(*) FROM tasks") == 2);
}

TEST_CASE("opening migrates to the latest schema and sets user_version") {
  temp_dir dir;
  auto path = dir.file("rxon.db");
  // An empty file with user_version 0, as an older build never created.
  exec_raw(path, "PRAGMA user_version = 0");
  {
    auto st = get(open_sqlite_store({path}));
    REQUIRE(st->apply({.jobs = {make_job("job-1")}}).has_value());
  }
  CHECK(query_int(path, "PRAGMA user_version") == latest_schema_version());
  CHECK(query_int(path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode")
        == 1);
  CHECK(query_int(path, "SELECT count(*) FROM sqlite_master WHERE type = "
                        "'table' AND name IN ('jobs', 'task_base', "
                        "'task_states', 'holons', 'events')")
        == 5);
  CHECK(query_int(path, "SELECT count(*) FROM sqlite_master WHERE type = "
                        "'view' AND name = 'tasks'")
        == 1);
  // A v1 database opens again without running v1 twice.
  auto again = get(open_sqlite_store({path}));
  CHECK(get(again->job("job-1")).has_value());
}

TEST_CASE("a version 1 database migrates to the latest version with its "
          "rows") {
  temp_dir dir;
  auto path = dir.file("rxon.db");
  auto t = make_task("t1");
  {
    auto st = get(open_sqlite_store({path}));
    REQUIRE(st->apply({.jobs = {make_job("job-1")}, .tasks = {t}}));
  }
  // Stand-in for a v1 file: same columns and rows, schema version 1.
  exec_raw(path,
           std::string{undo_v5} + undo_v4
               + "ALTER TABLE tasks RENAME TO old; "
                 "CREATE TABLE tasks AS SELECT * FROM old; DROP TABLE old; "
                 "DROP INDEX jobs_unfinished; "
                 "ALTER TABLE jobs DROP COLUMN finished_ms; "
                 "PRAGMA user_version = 1");
  auto st = get(open_sqlite_store({path}));
  CHECK(query_int(path, "PRAGMA user_version") == latest_schema_version());
  auto back = get(st->task("t1"));
  REQUIRE(back);
  CHECK(back->task_id == "t1");
  CHECK(back->params == t.params);
  CHECK(query_int(path, "SELECT count(*) FROM sqlite_master WHERE type = "
                        "'index' AND name IN ('tasks_by_job', "
                        "'jobs_unfinished')")
        == 2);
  CHECK(query_int(path, "SELECT count(*) FROM sqlite_master WHERE name = "
                        "'tasks_unfinished'")
        == 0);
  // The state rule still holds for anyone writing the file directly.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "UPDATE task_base SET state = 'bogus'", nullptr,
                     nullptr, nullptr)
        == SQLITE_CONSTRAINT);
  CHECK(sqlite3_exec(db,
                     "INSERT INTO task_states VALUES (1, 'bogus', 1, '', "
                     "0, 0, NULL, NULL, '', 0)",
                     nullptr, nullptr, nullptr)
        == SQLITE_CONSTRAINT);
  sqlite3_close(db);
}

TEST_CASE("migrating to version 3 marks the jobs whose tasks all ended, and "
          "recovery reads the others") {
  temp_dir dir;
  auto path = dir.file("rxon.db");
  auto done = make_task("done-1", "job-done");
  done.state = task_state::success;
  done.updated_ms = 1'700'000'000'500;
  auto open_task = make_task("open-1", "job-open");
  auto open_done = make_task("open-2", "job-open");
  open_done.state = task_state::failure;
  {
    auto st = get(open_sqlite_store({path}));
    REQUIRE(st->apply({.jobs = {make_job("job-done"), make_job("job-open")},
                       .tasks = {done, open_task, open_done}}));
  }
  // Stand-in for a v2 file: no finished_ms, the per-task partial index.
  exec_raw(path, std::string{undo_v5} + undo_v4
                     + "DROP INDEX jobs_unfinished; "
                       "ALTER TABLE jobs DROP COLUMN finished_ms; "
                       "CREATE INDEX tasks_unfinished ON tasks(task_id) WHERE "
                       "state = 'pending' OR state = 'assigned' OR "
                       "state = 'running'; PRAGMA user_version = 2");
  auto st = get(open_sqlite_store({path}));
  CHECK(query_int(path, "PRAGMA user_version") == latest_schema_version());
  CHECK(query_int(path, "SELECT finished_ms FROM jobs WHERE job_id = "
                        "'job-done'")
        == 1'700'000'000'500);
  CHECK(query_int(path, "SELECT count(*) FROM jobs WHERE job_id = 'job-open' "
                        "AND finished_ms IS NULL")
        == 1);
  auto unfinished = get(st->unfinished_tasks());
  REQUIRE(unfinished.size() == 1);
  CHECK(unfinished[0].task_id == "open-1");
}

TEST_CASE("migrating to version 4 keeps each task's current state, and "
          "later changes go to task_states") {
  temp_dir dir;
  auto path = dir.file("rxon.db");
  auto open_task = make_task("t1");
  auto done = make_task("t2");
  {
    auto st = get(open_sqlite_store({path}));
    REQUIRE(
        st->apply({.jobs = {make_job("job-1")}, .tasks = {open_task, done}}));
    auto end = task_update::of(done);
    end.state = task_state::success;
    end.result = json::object{{"out", 7}};
    end.updated_ms = 9000;
    REQUIRE(st->apply({.task_updates = {end}}));
    end.apply_to(done);
  }
  // A v3 file: t2's success is in its one row.
  exec_raw(path, std::string{undo_v5} + undo_v4);
  REQUIRE(query_int(path, "SELECT count(*) FROM tasks WHERE task_id = 't2' "
                          "AND state = 'success'")
          == 1);
  auto st = get(open_sqlite_store({path}));
  CHECK(query_int(path, "PRAGMA user_version") == latest_schema_version());
  CHECK(get(st->task("t1")) == open_task);
  CHECK(get(st->task("t2")) == done);
  CHECK(query_int(path, "SELECT count(*) FROM task_states") == 0);
  auto unfinished = get(st->unfinished_tasks());
  REQUIRE(unfinished.size() == 1);
  CHECK(unfinished[0].task_id == "t1");
  // A change after the migration is a task_states row; the view shows it.
  auto run = task_update::of(open_task);
  run.state = task_state::running;
  run.updated_ms = 9500;
  REQUIRE(st->apply({.task_updates = {run}}));
  run.apply_to(open_task);
  CHECK(get(st->task("t1")) == open_task);
  CHECK(query_int(path, "SELECT count(*) FROM task_states") == 1);
  CHECK(query_int(path, "SELECT count(*) FROM tasks WHERE state = 'running'")
        == 1);
  CHECK(query_int(path, "SELECT count(*) FROM task_base WHERE state = "
                        "'pending' AND task_id = 't1'")
        == 1);
}

TEST_CASE("migrating to version 5 keys each state row by its task's "
          "task_seq, which VACUUM keeps") {
  temp_dir dir;
  auto path = dir.file("rxon.db");
  std::vector<task_record> tasks;
  for (const char* id : {"t1", "t2", "t3", "t4"})
    tasks.push_back(make_task(id));
  {
    auto st = get(open_sqlite_store({path}));
    REQUIRE(st->apply({.jobs = {make_job("job-1")}, .tasks = tasks}));
    for (std::size_t i : {1u, 3u}) {
      auto u = task_update::of(tasks[i]);
      u.state = task_state::success;
      u.result = json::object{{"i", static_cast<int64_t>(i)}};
      u.updated_ms = 9000;
      REQUIRE(st->apply({.task_updates = {u}}));
      u.apply_to(tasks[i]);
    }
  }
  // A v4 file: t2's and t4's states in task_states, keyed by task_id.
  exec_raw(path, undo_v5);
  REQUIRE(query_int(path, "SELECT count(*) FROM task_states WHERE task_id "
                          "IN ('t2', 't4')")
          == 2);
  {
    auto st = get(open_sqlite_store({path}));
    CHECK(query_int(path, "PRAGMA user_version") == latest_schema_version());
    for (const auto& t : tasks)
      CHECK(get(st->task(t.task_id)) == t);
    CHECK(query_int(path, "SELECT count(*) FROM task_states") == 2);
  }
  // A gap in task_seq, then VACUUM: a bare rowid could be renumbered
  // (t4's state row would then name another task); task_seq is kept.
  exec_raw(path, "DELETE FROM task_base WHERE task_id = 't1'; VACUUM");
  auto st = get(open_sqlite_store({path}));
  CHECK_FALSE(get(st->task("t1")));
  for (std::size_t i = 1; i < tasks.size(); ++i)
    CHECK(get(st->task(tasks[i].task_id)) == tasks[i]);
  CHECK(query_int(path, "SELECT task_seq FROM task_base WHERE task_id = 't4'")
        == 4);
}

TEST_CASE("state updates find their task after a rolled-back put, a "
          "reopen and a put of a task stored before") {
  temp_dir dir;
  auto path = dir.file("rxon.db");
  auto t1 = make_task("t1");
  auto t2 = make_task("t2");
  auto update = [](task_record& t, task_state state, int64_t ms) {
    auto u = task_update::of(t);
    u.state = state;
    u.holon_id = "holon-b";
    u.updated_ms = ms;
    u.apply_to(t);
    return u;
  };
  // task_states rows whose task_seq names no task.
  const char* strays = "SELECT count(*) FROM task_states WHERE task_seq NOT "
                       "IN (SELECT task_seq FROM task_base)";
  {
    auto st = get(open_sqlite_store({path}));
    REQUIRE(st->apply({.jobs = {make_job("job-1")}, .tasks = {t1, t2}}));
    REQUIRE(st->apply({.task_updates = {update(t1, task_state::assigned, 10),
                                        update(t2, task_state::running, 11)}}));
    CHECK(get(st->task("t1")) == t1);
    CHECK(get(st->task("t2")) == t2);
    // t3's put is rolled back with its batch: it is not stored, so an
    // update of it still fails.
    auto ghost = task_update::of(make_task("ghost"));
    auto failed
        = st->apply({.tasks = {make_task("t3")}, .task_updates = {ghost}});
    REQUIRE_FALSE(failed);
    auto t3 = make_task("t3");
    auto late
        = st->apply({.task_updates = {update(t3, task_state::running, 12)}});
    REQUIRE_FALSE(late);
    CHECK(late.error().code == errc::conflict);
    CHECK_FALSE(get(st->task("t3")));
  }
  CHECK(query_int(path, strays) == 0);
  // A new connection knows no task_seq: its updates find them by task_id.
  // A put of a task it did not know was stored, among new ones, keeps the
  // task's number and shifts the numbers the new ones get.
  auto st = get(open_sqlite_store({path}));
  REQUIRE(st->apply({.task_updates = {update(t1, task_state::success, 20)}}));
  CHECK(get(st->task("t1")) == t1);
  auto t4 = make_task("t4");
  t2 = make_task("t2");
  t2.attempts = 3;
  auto t5 = make_task("t5");
  REQUIRE(st->apply({.tasks = {t4, t2, t5}}));
  CHECK(get(st->task("t2")) == t2);
  CHECK(query_int(path, strays) == 0);
  CHECK(query_int(path, "SELECT task_seq FROM task_base WHERE task_id = 't2'")
        == 2);
  REQUIRE(st->apply({.task_updates = {update(t2, task_state::failure, 21),
                                      update(t4, task_state::running, 22),
                                      update(t5, task_state::assigned, 23)}}));
  for (const auto* t : {&t2, &t4, &t5})
    CHECK(get(st->task(t->task_id)) == *t);
  CHECK(query_int(path, "SELECT count(*) FROM task_states") == 4);
  CHECK(query_int(path, strays) == 0);
  // Known again: a put of new tasks after it numbers them as foreseen.
  auto t6 = make_task("t6");
  REQUIRE(st->apply({.tasks = {t6}}));
  REQUIRE(st->apply({.task_updates = {update(t6, task_state::success, 24)}}));
  CHECK(get(st->task("t6")) == t6);
  CHECK(query_int(path, strays) == 0);
}

TEST_CASE("a put of stored tasks only is told apart from new ones after "
          "another table's insert") {
  temp_dir dir;
  auto path = dir.file("rxon.db");
  auto t1 = make_task("t1");
  {
    auto st = get(open_sqlite_store({path}));
    REQUIRE(st->apply({.jobs = {make_job("job-1")}, .tasks = {t1}}));
  }
  // A new connection presumes t1 new, foreseeing task_seq 2; job-2 gets
  // rowid 2 just before, which must not pass for t1's insert.
  auto st = get(open_sqlite_store({path}));
  t1.attempts = 2;
  REQUIRE(st->apply({.jobs = {make_job("job-2")}, .tasks = {t1}}));
  REQUIRE(query_int(path, "SELECT rowid FROM jobs WHERE job_id = 'job-2'")
          == 2);
  auto u = task_update::of(t1);
  u.state = task_state::running;
  u.updated_ms = 30;
  u.apply_to(t1);
  REQUIRE(st->apply({.task_updates = {u}}));
  CHECK(get(st->task("t1")) == t1);
  CHECK(query_int(path, "SELECT count(*) FROM task_states WHERE task_seq = 1")
        == 1);
}

TEST_CASE("a second store on a file in use is refused until the first "
          "closes; readers are let in") {
  temp_dir dir;
  auto path = dir.file("rxon.db");
  {
    auto first = get(open_sqlite_store({path}));
    REQUIRE(first->apply({.jobs = {make_job("job-1")}}));
    auto second = open_sqlite_store({path});
    REQUIRE_FALSE(second);
    CHECK(second.error().code == errc::unavailable);
    CHECK(second.error().message.find(path) != std::string::npos);
    CHECK(second.error().message.find("in use") != std::string::npos);
    // The refused opener changed nothing: the first still writes.
    REQUIRE(first->apply({.jobs = {make_job("job-2")}}));
    // A reader is let in; it sees what is committed and cannot write.
    auto reader = get(open_sqlite_store({.path = path, .read_only = true}));
    CHECK(get(reader->job("job-2")));
    auto write = reader->apply({.jobs = {make_job("job-3")}});
    REQUIRE_FALSE(write);
    CHECK(write.error().message.find("readonly") != std::string::npos);
  }
  auto again = get(open_sqlite_store({path}));
  CHECK(get(again->job("job-2")));
}

TEST_CASE("a read-only store needs a database at this build's version") {
  temp_dir dir;
  auto path = dir.file("rxon.db");
  CHECK_FALSE(open_sqlite_store({.path = path, .read_only = true}));
  exec_raw(path, "CREATE TABLE x(y); PRAGMA user_version = 1");
  auto old = open_sqlite_store({.path = path, .read_only = true});
  REQUIRE_FALSE(old);
  CHECK(old.error().message.find("version 1") != std::string::npos);
  CHECK(query_int(path, "PRAGMA user_version") == 1); // not migrated
}

TEST_CASE("a database from a newer schema is refused") {
  temp_dir dir;
  auto path = dir.file("rxon.db");
  exec_raw(path, "CREATE TABLE x(y); PRAGMA user_version = 99");
  auto st = open_sqlite_store({path});
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message.find("version 99") != std::string::npos);
}

TEST_CASE("a file that is not a database gives an error") {
  temp_dir dir;
  auto path = dir.file("garbage.db");
  std::ofstream{path} << std::string(8192, 'x');
  auto st = open_sqlite_store({path});
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().message.find("sqlite") != std::string::npos);
  auto missing_dir = open_sqlite_store({dir.file("no/such/dir/x.db")});
  CHECK_FALSE(missing_dir.has_value());
}

TEST_CASE("memory and SQLite stores agree on a generated history") {
  temp_dir dir;
  auto mem = make_memory_store();
  auto path = dir.file("rxon.db");
  auto sql = get(open_sqlite_store({path}));
  std::mt19937 rng{20261121};
  auto pick = [&](int n) { return static_cast<int>(rng() % unsigned(n)); };
  const std::string owners[] = {"alice", "bob", "carol"};
  int failures = 0;
  for (int step = 0; step < 300; ++step) {
    change_batch b;
    for (int i = pick(3); i > 0; --i)
      b.jobs.push_back(
          make_job(name("j", pick(40)), owners[pick(3)], pick(50)));
    for (int i = pick(8); i > 0; --i) {
      auto t = make_task(name("t", pick(200)), name("j", pick(40)),
                         static_cast<task_state>(pick(8)), pick(100));
      t.attempts = pick(4);
      if (pick(3) == 0)
        t.params = json::object{{"k", pick(10)}, {"n", nullptr}};
      b.tasks.push_back(std::move(t));
    }
    for (int i = pick(4); i > 0; --i) {
      // Narrow updates, of stored tasks or not (then the batch fails).
      auto u = task_update::of(make_task(name("t", pick(200))));
      u.state = static_cast<task_state>(pick(8));
      u.attempts = pick(4);
      u.holon_id = name("h", pick(10));
      if (pick(2) == 0)
        u.result = json::object{{"r", pick(10)}, {"n", nullptr}};
      u.updated_ms = step;
      b.task_updates.push_back(std::move(u));
    }
    if (pick(4) == 0)
      b.holons.push_back(make_holon(name("h", pick(10)), step));
    if (pick(6) == 0)
      b.removed_holons.push_back(name("h", pick(10)));
    if (pick(2) == 0)
      b.events.push_back(
          make_event(name("t", pick(200)), "task_requeued", step));
    auto a = mem->apply(b);
    auto c = sql->apply(b);
    REQUIRE(a.has_value() == c.has_value());
    if (!a) {
      ++failures;
      CHECK(a.error().code == c.error().code);
    }
    auto owner = pick(4) == 0 ? std::string{} : owners[pick(3)];
    auto limit = static_cast<std::size_t>(pick(10));
    auto offset = static_cast<std::size_t>(pick(10));
    auto task_id = name("t", pick(200));
    auto job_id = name("j", pick(40));
    CHECK(get(mem->unfinished_tasks()) == get(sql->unfinished_tasks()));
    CHECK(get(mem->task_counts()) == get(sql->task_counts()));
    CHECK(get(mem->jobs(owner, limit, offset))
          == get(sql->jobs(owner, limit, offset)));
    CHECK(get(mem->holons()) == get(sql->holons()));
    CHECK(get(mem->task(task_id)) == get(sql->task(task_id)));
    CHECK(get(mem->job(job_id)) == get(sql->job(job_id)));
    CHECK(get(mem->tasks_of_job(job_id)) == get(sql->tasks_of_job(job_id)));
    CHECK(get(mem->events(task_id)) == get(sql->events(task_id)));
  }
  // The generator exercised both outcomes (missing jobs make batches fail).
  CHECK(failures > 10);
  CHECK(failures < 290);
  // The store checks references itself (SQLite's foreign keys are off):
  // SQLite's own check finds nothing the failed batches left behind.
  CHECK(query_int(path, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
}
