#include "storage/schema.hpp"

#include "storage/sqlite_handle.hpp"

#include <array>
#include <string>

namespace rxon::storage {

namespace {

// Append new steps; never edit a released one.
constexpr std::array<const char*, 5> steps = {
    // v1: everything.
    R"sql(
CREATE TABLE jobs (
  job_id     TEXT PRIMARY KEY NOT NULL,
  owner      TEXT NOT NULL,
  metadata   TEXT,
  created_ms INTEGER NOT NULL
);
CREATE INDEX jobs_by_created ON jobs(created_ms DESC, job_id);
CREATE INDEX jobs_by_owner ON jobs(owner, created_ms DESC, job_id);

CREATE TABLE tasks (
  task_id          TEXT PRIMARY KEY NOT NULL,
  job_id           TEXT NOT NULL REFERENCES jobs(job_id),
  type             TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('pending', 'assigned',
                     'running', 'success', 'failure', 'cancelled', 'timeout',
                     'quarantined')),
  attempts         INTEGER NOT NULL,
  max_attempts     INTEGER NOT NULL,
  holon_id         TEXT NOT NULL,
  lease_expiry_ms  INTEGER NOT NULL,
  not_before_ms    INTEGER NOT NULL,
  priority         REAL NOT NULL,
  deadline_ms      INTEGER,
  max_cost         REAL,
  params           TEXT,
  requirements     TEXT,
  skill            TEXT,
  result           TEXT,
  error            TEXT,
  origin_worker_id TEXT NOT NULL,
  created_ms       INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL
);
CREATE INDEX tasks_by_job ON tasks(job_id);
CREATE INDEX tasks_by_state ON tasks(state);

CREATE TABLE holons (
  holon_id      TEXT PRIMARY KEY NOT NULL,
  parent_id     TEXT NOT NULL,
  registration  TEXT,
  registered_ms INTEGER NOT NULL
);

CREATE TABLE events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  ts_ms    INTEGER NOT NULL,
  kind     TEXT NOT NULL,
  job_id   TEXT NOT NULL,
  task_id  TEXT NOT NULL,
  holon_id TEXT NOT NULL,
  data     TEXT
);
CREATE INDEX events_by_task ON events(task_id);
)sql",
    // v2: the state CHECK as a chain of comparisons: `IN (...)` made SQLite
    // build an ephemeral table on every insert or update of a task (a
    // quarter of the writer's instructions); same rule, no table. The
    // index on state becomes a partial index of the unfinished tasks (what
    // recovery reads): a task finishing leaves it instead of moving in it,
    // and it stays small.
    R"sql(
CREATE TABLE tasks_v2 (
  task_id          TEXT PRIMARY KEY NOT NULL,
  job_id           TEXT NOT NULL REFERENCES jobs(job_id),
  type             TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state = 'pending'
                     OR state = 'assigned' OR state = 'running'
                     OR state = 'success' OR state = 'failure'
                     OR state = 'cancelled' OR state = 'timeout'
                     OR state = 'quarantined'),
  attempts         INTEGER NOT NULL,
  max_attempts     INTEGER NOT NULL,
  holon_id         TEXT NOT NULL,
  lease_expiry_ms  INTEGER NOT NULL,
  not_before_ms    INTEGER NOT NULL,
  priority         REAL NOT NULL,
  deadline_ms      INTEGER,
  max_cost         REAL,
  params           TEXT,
  requirements     TEXT,
  skill            TEXT,
  result           TEXT,
  error            TEXT,
  origin_worker_id TEXT NOT NULL,
  created_ms       INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL
);
INSERT INTO tasks_v2 SELECT * FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_v2 RENAME TO tasks;
CREATE INDEX tasks_by_job ON tasks(job_id);
CREATE INDEX tasks_unfinished ON tasks(task_id) WHERE state = 'pending'
  OR state = 'assigned' OR state = 'running';
)sql",
    // v3: unfinished work is found by job. A job is marked when its last
    // task ends (finished_ms); recovery reads the tasks of unmarked jobs
    // only. The per-task partial index goes: every task entered it at
    // submission and left it at its end, which cost each task a third of
    // its SQLite time.
    R"sql(
ALTER TABLE jobs ADD COLUMN finished_ms INTEGER;
UPDATE jobs SET finished_ms = coalesce(
    (SELECT max(updated_ms) FROM tasks WHERE tasks.job_id = jobs.job_id),
    created_ms)
  WHERE NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.job_id = jobs.job_id
    AND (state = 'pending' OR state = 'assigned' OR state = 'running'));
CREATE INDEX jobs_unfinished ON jobs(job_id) WHERE finished_ms IS NULL;
DROP INDEX tasks_unfinished;
)sql",
    // v4: a state change no longer rewrites the task's whole row. The row
    // as put moves to task_base (inputs and the state at that time); each
    // later change upserts a narrow row in task_states, three times denser,
    // so the changes of one commit share pages: with tasks finishing out of
    // submission order, rewriting wide rows cost a page write per change.
    // The view `tasks` keeps the current task, row for row as before.
    R"sql(
ALTER TABLE tasks RENAME TO task_base;
CREATE TABLE task_states (
  task_id          TEXT PRIMARY KEY NOT NULL REFERENCES task_base(task_id),
  state            TEXT NOT NULL CHECK (state = 'pending'
                     OR state = 'assigned' OR state = 'running'
                     OR state = 'success' OR state = 'failure'
                     OR state = 'cancelled' OR state = 'timeout'
                     OR state = 'quarantined'),
  attempts         INTEGER NOT NULL,
  holon_id         TEXT NOT NULL,
  lease_expiry_ms  INTEGER NOT NULL,
  not_before_ms    INTEGER NOT NULL,
  result           TEXT,
  error            TEXT,
  origin_worker_id TEXT NOT NULL,
  updated_ms       INTEGER NOT NULL
) WITHOUT ROWID;
-- A put replaces the whole task, the state changes before it included.
CREATE TRIGGER task_base_put AFTER UPDATE ON task_base BEGIN
  DELETE FROM task_states WHERE task_id = new.task_id;
END;
-- The NOT NULL columns of task_states are NULL only without a row there.
CREATE VIEW tasks AS SELECT b.task_id, b.job_id, b.type,
  ifnull(s.state, b.state) AS state,
  ifnull(s.attempts, b.attempts) AS attempts, b.max_attempts,
  ifnull(s.holon_id, b.holon_id) AS holon_id,
  ifnull(s.lease_expiry_ms, b.lease_expiry_ms) AS lease_expiry_ms,
  ifnull(s.not_before_ms, b.not_before_ms) AS not_before_ms,
  b.priority, b.deadline_ms, b.max_cost, b.params, b.requirements, b.skill,
  CASE WHEN s.task_id IS NULL THEN b.result ELSE s.result END AS result,
  CASE WHEN s.task_id IS NULL THEN b.error ELSE s.error END AS error,
  ifnull(s.origin_worker_id, b.origin_worker_id) AS origin_worker_id,
  b.created_ms, ifnull(s.updated_ms, b.updated_ms) AS updated_ms
  FROM task_base b LEFT JOIN task_states s USING (task_id);
)sql",
    // v5: task_states rows are keyed by an integer that task_base assigns
    // (task_seq, its INTEGER PRIMARY KEY: unlike a bare rowid, VACUUM keeps
    // it). A state write looks the task up once in task_base's task_id
    // index, which is also the check that the task is stored, and then
    // seeks task_states by integer; the text key cost it two text seeks
    // and 16 bytes per row.
    R"sql(
CREATE TABLE task_base_v5 (
  task_seq         INTEGER PRIMARY KEY,
  task_id          TEXT NOT NULL UNIQUE,
  job_id           TEXT NOT NULL REFERENCES jobs(job_id),
  type             TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state = 'pending'
                     OR state = 'assigned' OR state = 'running'
                     OR state = 'success' OR state = 'failure'
                     OR state = 'cancelled' OR state = 'timeout'
                     OR state = 'quarantined'),
  attempts         INTEGER NOT NULL,
  max_attempts     INTEGER NOT NULL,
  holon_id         TEXT NOT NULL,
  lease_expiry_ms  INTEGER NOT NULL,
  not_before_ms    INTEGER NOT NULL,
  priority         REAL NOT NULL,
  deadline_ms      INTEGER,
  max_cost         REAL,
  params           TEXT,
  requirements     TEXT,
  skill            TEXT,
  result           TEXT,
  error            TEXT,
  origin_worker_id TEXT NOT NULL,
  created_ms       INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL
);
INSERT INTO task_base_v5 (task_seq, task_id, job_id, type, state, attempts,
  max_attempts, holon_id, lease_expiry_ms, not_before_ms, priority,
  deadline_ms, max_cost, params, requirements, skill, result, error,
  origin_worker_id, created_ms, updated_ms)
  SELECT rowid, task_id, job_id, type, state, attempts, max_attempts,
  holon_id, lease_expiry_ms, not_before_ms, priority, deadline_ms, max_cost,
  params, requirements, skill, result, error, origin_worker_id, created_ms,
  updated_ms FROM task_base;
CREATE TABLE task_states_v5 (
  task_seq         INTEGER PRIMARY KEY REFERENCES task_base(task_seq),
  state            TEXT NOT NULL CHECK (state = 'pending'
                     OR state = 'assigned' OR state = 'running'
                     OR state = 'success' OR state = 'failure'
                     OR state = 'cancelled' OR state = 'timeout'
                     OR state = 'quarantined'),
  attempts         INTEGER NOT NULL,
  holon_id         TEXT NOT NULL,
  lease_expiry_ms  INTEGER NOT NULL,
  not_before_ms    INTEGER NOT NULL,
  result           TEXT,
  error            TEXT,
  origin_worker_id TEXT NOT NULL,
  updated_ms       INTEGER NOT NULL
);
INSERT INTO task_states_v5 SELECT b.rowid, s.state, s.attempts, s.holon_id,
  s.lease_expiry_ms, s.not_before_ms, s.result, s.error, s.origin_worker_id,
  s.updated_ms FROM task_states s JOIN task_base b USING (task_id);
DROP VIEW tasks;
DROP TRIGGER task_base_put;
DROP TABLE task_states;
DROP TABLE task_base;
ALTER TABLE task_base_v5 RENAME TO task_base;
ALTER TABLE task_states_v5 RENAME TO task_states;
CREATE INDEX tasks_by_job ON task_base(job_id);
CREATE TRIGGER task_base_put AFTER UPDATE ON task_base BEGIN
  DELETE FROM task_states WHERE task_seq = new.task_seq;
END;
CREATE VIEW tasks AS SELECT b.task_id, b.job_id, b.type,
  ifnull(s.state, b.state) AS state,
  ifnull(s.attempts, b.attempts) AS attempts, b.max_attempts,
  ifnull(s.holon_id, b.holon_id) AS holon_id,
  ifnull(s.lease_expiry_ms, b.lease_expiry_ms) AS lease_expiry_ms,
  ifnull(s.not_before_ms, b.not_before_ms) AS not_before_ms,
  b.priority, b.deadline_ms, b.max_cost, b.params, b.requirements, b.skill,
  CASE WHEN s.task_seq IS NULL THEN b.result ELSE s.result END AS result,
  CASE WHEN s.task_seq IS NULL THEN b.error ELSE s.error END AS error,
  ifnull(s.origin_worker_id, b.origin_worker_id) AS origin_worker_id,
  b.created_ms, ifnull(s.updated_ms, b.updated_ms) AS updated_ms
  FROM task_base b LEFT JOIN task_states s USING (task_seq);
)sql",
};

result<int> user_version(sqlite3* db) {
  auto stmt = sqlite::prepare(db, "PRAGMA user_version");
  if (!stmt)
    return std::move(stmt).error();
  int rc = sqlite3_step(stmt->get());
  if (rc != SQLITE_ROW)
    return sqlite::fail(db, "PRAGMA user_version", rc);
  return sqlite3_column_int(stmt->get(), 0);
}

} // namespace

int latest_schema_version() noexcept {
  return static_cast<int>(steps.size());
}

status require_latest(sqlite3* db) {
  auto version = user_version(db);
  if (!version)
    return std::move(version).error();
  if (*version != latest_schema_version())
    return error{errc::unavailable,
                 "sqlite: database schema version " + std::to_string(*version)
                     + " is not this build's ("
                     + std::to_string(latest_schema_version())
                     + "); a read-only store cannot migrate it"};
  return {};
}

status migrate(sqlite3* db) {
  auto version = user_version(db);
  if (!version)
    return std::move(version).error();
  if (*version > latest_schema_version() || *version < 0)
    return error{errc::unavailable,
                 "sqlite: database schema version " + std::to_string(*version)
                     + " is not supported by this build (latest "
                     + std::to_string(latest_schema_version()) + ")"};
  for (int v = *version; v < latest_schema_version(); ++v) {
    std::string sql = "BEGIN IMMEDIATE;";
    sql += steps[static_cast<std::size_t>(v)];
    sql += "PRAGMA user_version = " + std::to_string(v + 1) + "; COMMIT;";
    if (auto st = sqlite::exec(db, sql.c_str(), "migration"); !st) {
      (void)sqlite::exec(db, "ROLLBACK");
      return error{st.error().code, "schema migration to v"
                                        + std::to_string(v + 1) + ": "
                                        + st.error().message};
    }
  }
  return {};
}

} // namespace rxon::storage
