#include "storage/schema.hpp"
#include "storage/sqlite_handle.hpp"
#include "storage/sqlite_rows.hpp"
#include "storage/store.hpp"
#include "storage/validation.hpp"

#include <array>
#include <mutex>
#include <string>
#include <utility>

namespace rxon::storage {

namespace {

using sqlite::read_event;
using sqlite::read_holon;
using sqlite::read_job;
using sqlite::read_task;
using sqlite::stmt_ptr;

// Column lists shared by the upserts and the selects, in the same order.
#define RXON_TASK_COLUMNS                                                      \
  "task_id, job_id, type, state, attempts, max_attempts, holon_id, "           \
  "lease_expiry_ms, not_before_ms, priority, deadline_ms, max_cost, params, "  \
  "requirements, skill, result, error, origin_worker_id, created_ms, "         \
  "updated_ms"
#define RXON_JOB_COLUMNS "job_id, owner, metadata, created_ms"
#define RXON_HOLON_COLUMNS "holon_id, parent_id, registration, registered_ms"
#define RXON_EVENT_COLUMNS "ts_ms, kind, job_id, task_id, holon_id, data"

constexpr const char* sql_task_conflict
    = " ON CONFLICT(task_id) DO UPDATE SET job_id = excluded.job_id, "
      "type = excluded.type, state = excluded.state, "
      "attempts = excluded.attempts, max_attempts = excluded.max_attempts, "
      "holon_id = excluded.holon_id, "
      "lease_expiry_ms = excluded.lease_expiry_ms, "
      "not_before_ms = excluded.not_before_ms, priority = excluded.priority, "
      "deadline_ms = excluded.deadline_ms, max_cost = excluded.max_cost, "
      "params = excluded.params, requirements = excluded.requirements, "
      "skill = excluded.skill, result = excluded.result, "
      "error = excluded.error, origin_worker_id = excluded.origin_worker_id, "
      "created_ms = excluded.created_ms, updated_ms = excluded.updated_ms";
constexpr int task_params = 20;
/// Tasks upserted per statement: one statement step per row costs cursor
/// opens on four b-trees, so rows go in chunks (1280 parameters, well
/// below SQLite's limit of 32766).
constexpr std::size_t task_chunk = 64;

/// The task upsert for `rows` rows: parameters ?1..?20 for the first row,
/// ?21..?40 for the second, and so on.
std::string task_upsert_sql(std::size_t rows) {
  std::string sql = "INSERT INTO tasks(" RXON_TASK_COLUMNS ") VALUES ";
  int n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (int c = 0; c < task_params; ++c) {
      sql += c == 0 ? "?" : ", ?";
      sql += std::to_string(++n);
    }
    sql += ')';
  }
  return sql + sql_task_conflict;
}

constexpr const char* sql_upsert_job
    = "INSERT INTO jobs(" RXON_JOB_COLUMNS ") VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(job_id) DO UPDATE SET owner = excluded.owner, "
      "metadata = excluded.metadata, created_ms = excluded.created_ms";
constexpr const char* sql_upsert_holon
    = "INSERT INTO holons(" RXON_HOLON_COLUMNS ") VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(holon_id) DO UPDATE SET parent_id = excluded.parent_id, "
      "registration = excluded.registration, "
      "registered_ms = excluded.registered_ms";

/// The narrow state-transition write: only the mutable columns, so the
/// tasks_by_job index and the JSON inputs are left alone.
constexpr const char* sql_update_task
    = "UPDATE tasks SET state = ?2, attempts = ?3, holon_id = ?4, "
      "lease_expiry_ms = ?5, not_before_ms = ?6, result = ?7, error = ?8, "
      "origin_worker_id = ?9, updated_ms = ?10 WHERE task_id = ?1";

// Indexes into sqlite_store::stmts_.
enum stmt_id : std::size_t {
  begin_tx,
  commit_tx,
  rollback_tx,
  upsert_job,
  upsert_task,
  update_task,
  upsert_holon,
  delete_holon,
  insert_event,
  select_task,
  select_job,
  select_tasks_of_job,
  select_jobs,
  select_jobs_of_owner,
  select_holons,
  select_task_counts,
  select_task_counts_of_job,
  select_events,
  select_unfinished,
  stmt_count,
};

constexpr std::array<const char*, stmt_count> stmt_sql = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    sql_upsert_job,
    "SELECT 1", // upsert_task: built by task_upsert_sql()
    sql_update_task,
    sql_upsert_holon,
    "DELETE FROM holons WHERE holon_id = ?1",
    "INSERT INTO events(" RXON_EVENT_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "SELECT " RXON_TASK_COLUMNS " FROM tasks WHERE task_id = ?1",
    "SELECT " RXON_JOB_COLUMNS " FROM jobs WHERE job_id = ?1",
    "SELECT " RXON_TASK_COLUMNS " FROM tasks WHERE job_id = ?1 "
    "ORDER BY created_ms, task_id",
    "SELECT " RXON_JOB_COLUMNS " FROM jobs ORDER BY created_ms DESC, job_id "
    "LIMIT ?1 OFFSET ?2",
    "SELECT " RXON_JOB_COLUMNS " FROM jobs WHERE owner = ?3 "
    "ORDER BY created_ms DESC, job_id LIMIT ?1 OFFSET ?2",
    "SELECT " RXON_HOLON_COLUMNS " FROM holons ORDER BY holon_id",
    "SELECT state, count(*) FROM tasks GROUP BY state",
    "SELECT state, count(*) FROM tasks WHERE job_id = ?1 GROUP BY state",
    "SELECT " RXON_EVENT_COLUMNS " FROM events WHERE task_id = ?1 ORDER BY id",
    // Written exactly as the WHERE of the partial index tasks_unfinished,
    // which SQLite then uses.
    "SELECT " RXON_TASK_COLUMNS " FROM tasks WHERE state = 'pending' OR "
    "state = 'assigned' OR state = 'running' ORDER BY task_id",
};

class sqlite_store final : public store {
public:
  status open(const sqlite_options& opts);

  status apply_valid(const change_batch& batch) override;
  result<std::vector<task_record>> unfinished_tasks() override {
    return rows(select_unfinished, read_task);
  }
  result<std::optional<task_record>> task(const std::string& id) override {
    return one(select_task, id, read_task);
  }
  result<std::optional<job_record>> job(const std::string& id) override {
    return one(select_job, id, read_job);
  }
  result<std::vector<task_record>>
  tasks_of_job(const std::string& job_id) override {
    bind_text(select_tasks_of_job, 1, job_id);
    return rows(select_tasks_of_job, read_task);
  }
  result<std::vector<job_record>> jobs(const std::string& owner,
                                       std::size_t limit,
                                       std::size_t offset) override;
  result<std::vector<holon_record>> holons() override {
    return rows(select_holons, read_holon);
  }
  result<std::map<task_state, int64_t>> task_counts() override {
    return counts(select_task_counts);
  }
  result<std::map<task_state, int64_t>>
  task_counts_of_job(const std::string& job_id) override {
    bind_text(select_task_counts_of_job, 1, job_id);
    return counts(select_task_counts_of_job);
  }
  result<std::vector<event_record>>
  events(const std::string& task_id) override {
    bind_text(select_events, 1, task_id);
    return rows(select_events, read_event);
  }

private:
  sqlite3_stmt* stmt(stmt_id id) const { return stmts_[id].get(); }

  /// Steps a `SELECT state, count(*) ... GROUP BY state` statement.
  result<std::map<task_state, int64_t>> counts(stmt_id id);

  void bind_text(stmt_id id, int i, const std::string& s) {
    sqlite3_bind_text(stmt(id), i, s.data(), static_cast<int>(s.size()),
                      SQLITE_STATIC);
  }
  /// Binds `v` as canonical JSON text kept in `buf` until the next bind.
  void bind_json(stmt_id id, int i, const json::value& v, std::string& buf) {
    if (v.is_null()) {
      sqlite3_bind_null(stmt(id), i);
      return;
    }
    buf.clear();
    json::write(v, buf);
    bind_text(id, i, buf);
  }

  /// Steps a write statement once; resets it.
  status step(stmt_id id, const char* what) {
    sqlite::reset_guard guard{stmt(id)};
    if (int rc = sqlite3_step(stmt(id)); rc != SQLITE_DONE)
      return sqlite::fail(db_.get(), what, rc);
    return {};
  }

  /// Collects every row of a (bound) select; resets it.
  template <class Rec>
  result<std::vector<Rec>> rows(stmt_id id, result<Rec> (*read)(sqlite3_stmt*));

  template <class Rec>
  result<std::optional<Rec>> one(stmt_id id, const std::string& key,
                                 result<Rec> (*read)(sqlite3_stmt*)) {
    bind_text(id, 1, key);
    sqlite::reset_guard guard{stmt(id)};
    int rc = sqlite3_step(stmt(id));
    if (rc == SQLITE_DONE)
      return std::optional<Rec>{};
    if (rc != SQLITE_ROW)
      return sqlite::fail(db_.get(), stmt_sql[id], rc);
    auto rec = read(stmt(id));
    if (!rec)
      return std::move(rec).error();
    return std::optional<Rec>{std::move(*rec)};
  }

  status put_job(const job_record& j);
  void bind_task(sqlite3_stmt* s, int base, const task_record& t,
                 std::string* bufs);
  status put_task(const task_record& t);
  status put_tasks(const std::vector<task_record>& tasks);
  status put_update(const task_update& u);
  status put_holon(const holon_record& h);
  status put_event(const event_record& e);

  sqlite::db_ptr db_;
  std::array<stmt_ptr, stmt_count> stmts_;
  stmt_ptr upsert_tasks_; ///< task_chunk rows per statement
  std::array<std::string, 5> json_buf_;
  std::vector<std::string> chunk_buf_
      = std::vector<std::string>(task_chunk * 5);
};

template <class Rec>
result<std::vector<Rec>>
sqlite_store::rows(stmt_id id, result<Rec> (*read)(sqlite3_stmt*)) {
  sqlite::reset_guard guard{stmt(id)};
  std::vector<Rec> out;
  for (;;) {
    int rc = sqlite3_step(stmt(id));
    if (rc == SQLITE_DONE)
      return out;
    if (rc != SQLITE_ROW)
      return sqlite::fail(db_.get(), stmt_sql[id], rc);
    auto rec = read(stmt(id));
    if (!rec)
      return std::move(rec).error();
    out.push_back(std::move(*rec));
  }
}

status sqlite_store::open(const sqlite_options& opts) {
  // Memory statistics cost a global mutex per allocation; nothing here
  // reads them. Only possible before SQLite initialises, else ignored.
  static std::once_flag config_once;
  std::call_once(config_once,
                 [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(opts.path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                               | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK)
    return sqlite::fail(db_.get(), "open '" + opts.path + "'", rc);
  sqlite3_extended_result_codes(db_.get(), 1);
  // A busy database (e.g. an external sqlite3 shell writing) is waited on
  // for up to 5 s before a statement fails.
  sqlite3_busy_timeout(db_.get(), 5000);
  const char* sync = opts.synchronous == sync_mode::full
                         ? "PRAGMA synchronous = FULL"
                         : "PRAGMA synchronous = NORMAL";
  // 64 MiB of page cache keeps the task indexes hot under group commits.
  for (const char* sql :
       {"PRAGMA journal_mode = WAL", sync, "PRAGMA foreign_keys = ON",
        "PRAGMA cache_size = -65536", "PRAGMA temp_store = MEMORY"})
    if (auto st = sqlite::exec(db_.get(), sql); !st)
      return st;
  if (auto st = migrate(db_.get()); !st)
    return st;
  for (std::size_t i = 0; i < stmt_count; ++i) {
    auto s = sqlite::prepare(db_.get(), stmt_sql[i]);
    if (!s)
      return std::move(s).error();
    stmts_[i] = std::move(*s);
  }
  for (auto [ptr, rows] : {std::pair{&stmts_[upsert_task], std::size_t{1}},
                           std::pair{&upsert_tasks_, task_chunk}}) {
    auto s = sqlite::prepare(db_.get(), task_upsert_sql(rows));
    if (!s)
      return std::move(s).error();
    *ptr = std::move(*s);
  }
  return {};
}

status sqlite_store::put_job(const job_record& j) {
  bind_text(upsert_job, 1, j.job_id);
  bind_text(upsert_job, 2, j.owner);
  bind_json(upsert_job, 3, j.metadata, json_buf_[0]);
  sqlite3_bind_int64(stmt(upsert_job), 4, j.created_ms);
  return step(upsert_job, "upsert job");
}

void sqlite_store::bind_task(sqlite3_stmt* s, int base, const task_record& t,
                             std::string* bufs) {
  auto text = [&](int i, const std::string& v) {
    sqlite3_bind_text(s, base + i, v.data(), static_cast<int>(v.size()),
                      SQLITE_STATIC);
  };
  auto json = [&](int i, const json::value& v, std::string& buf) {
    if (v.is_null()) {
      sqlite3_bind_null(s, base + i);
      return;
    }
    buf.clear();
    json::write(v, buf);
    text(i, buf);
  };
  text(1, t.task_id);
  text(2, t.job_id);
  text(3, t.type);
  sqlite3_bind_text(s, base + 4, to_string(t.state), -1, SQLITE_STATIC);
  sqlite3_bind_int(s, base + 5, t.attempts);
  sqlite3_bind_int(s, base + 6, t.max_attempts);
  text(7, t.holon_id);
  sqlite3_bind_int64(s, base + 8, t.lease_expiry_ms);
  sqlite3_bind_int64(s, base + 9, t.not_before_ms);
  sqlite3_bind_double(s, base + 10, t.priority);
  if (t.deadline_ms)
    sqlite3_bind_int64(s, base + 11, *t.deadline_ms);
  else
    sqlite3_bind_null(s, base + 11);
  if (t.max_cost)
    sqlite3_bind_double(s, base + 12, *t.max_cost);
  else
    sqlite3_bind_null(s, base + 12);
  json(13, t.params, bufs[0]);
  json(14, t.requirements, bufs[1]);
  json(15, t.skill, bufs[2]);
  json(16, t.result, bufs[3]);
  json(17, t.error, bufs[4]);
  text(18, t.origin_worker_id);
  sqlite3_bind_int64(s, base + 19, t.created_ms);
  sqlite3_bind_int64(s, base + 20, t.updated_ms);
}

status sqlite_store::put_task(const task_record& t) {
  bind_task(stmt(upsert_task), 0, t, json_buf_.data());
  return step(upsert_task, "upsert task");
}

status sqlite_store::put_tasks(const std::vector<task_record>& tasks) {
  std::size_t i = 0;
  auto* s = upsert_tasks_.get();
  for (; i + task_chunk <= tasks.size(); i += task_chunk) {
    for (std::size_t r = 0; r < task_chunk; ++r)
      bind_task(s, static_cast<int>(r) * task_params, tasks[i + r],
                &chunk_buf_[r * json_buf_.size()]);
    sqlite::reset_guard guard{s};
    if (int rc = sqlite3_step(s); rc != SQLITE_DONE) {
      auto err = sqlite::fail(db_.get(), "upsert tasks", rc);
      // The failed statement changed nothing; redo its rows one by one
      // to name the task at fault (the transaction is rolled back anyway).
      for (std::size_t r = 0; r < task_chunk; ++r)
        if (auto st = put_task(tasks[i + r]); !st)
          return error{st.error().code, "task '" + tasks[i + r].task_id
                                            + "': " + st.error().message};
      return err;
    }
  }
  for (; i < tasks.size(); ++i)
    if (auto st = put_task(tasks[i]); !st)
      return error{st.error().code,
                   "task '" + tasks[i].task_id + "': " + st.error().message};
  return {};
}

status sqlite_store::put_update(const task_update& u) {
  auto* s = stmt(update_task);
  bind_text(update_task, 1, u.task_id);
  sqlite3_bind_text(s, 2, to_string(u.state), -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 3, u.attempts);
  bind_text(update_task, 4, u.holon_id);
  sqlite3_bind_int64(s, 5, u.lease_expiry_ms);
  sqlite3_bind_int64(s, 6, u.not_before_ms);
  bind_json(update_task, 7, u.result, json_buf_[0]);
  bind_json(update_task, 8, u.error, json_buf_[1]);
  bind_text(update_task, 9, u.origin_worker_id);
  sqlite3_bind_int64(s, 10, u.updated_ms);
  if (auto st = step(update_task, "update task"); !st)
    return st;
  if (sqlite3_changes(db_.get()) == 0)
    return error{errc::conflict,
                 "task '" + u.task_id + "': update of a task not stored"};
  return {};
}

status sqlite_store::put_holon(const holon_record& h) {
  bind_text(upsert_holon, 1, h.holon_id);
  bind_text(upsert_holon, 2, h.parent_id);
  bind_json(upsert_holon, 3, h.registration, json_buf_[0]);
  sqlite3_bind_int64(stmt(upsert_holon), 4, h.registered_ms);
  return step(upsert_holon, "upsert holon");
}

status sqlite_store::put_event(const event_record& e) {
  sqlite3_bind_int64(stmt(insert_event), 1, e.ts_ms);
  bind_text(insert_event, 2, e.kind);
  bind_text(insert_event, 3, e.job_id);
  bind_text(insert_event, 4, e.task_id);
  bind_text(insert_event, 5, e.holon_id);
  bind_json(insert_event, 6, e.data, json_buf_[0]);
  return step(insert_event, "insert event");
}

// Order (shared with the memory twin): jobs, tasks, task updates, holon
// puts, holon removals, events.
status sqlite_store::apply_valid(const change_batch& batch) {
  if (batch.empty())
    return {};
  sqlite::transaction tx{db_.get(), stmt(begin_tx), stmt(commit_tx),
                         stmt(rollback_tx)};
  if (auto st = tx.begin(); !st)
    return st;
  for (const auto& j : batch.jobs)
    if (auto st = put_job(j); !st)
      return error{st.error().code,
                   "job '" + j.job_id + "': " + st.error().message};
  if (auto st = put_tasks(batch.tasks); !st)
    return st;
  for (const auto& u : batch.task_updates)
    if (auto st = put_update(u); !st)
      return st;
  for (const auto& h : batch.holons)
    if (auto st = put_holon(h); !st)
      return error{st.error().code,
                   "holon '" + h.holon_id + "': " + st.error().message};
  for (const auto& id : batch.removed_holons) {
    bind_text(delete_holon, 1, id);
    if (auto st = step(delete_holon, "delete holon"); !st)
      return st;
  }
  for (const auto& e : batch.events)
    if (auto st = put_event(e); !st)
      return st;
  return tx.commit();
}

result<std::vector<job_record>> sqlite_store::jobs(const std::string& owner,
                                                   std::size_t limit,
                                                   std::size_t offset) {
  auto id = owner.empty() ? select_jobs : select_jobs_of_owner;
  // SQLite takes LIMIT as a signed 64-bit value; larger means "all".
  auto clamp = [](std::size_t n) {
    return n > static_cast<std::size_t>(INT64_MAX) ? INT64_MAX
                                                   : static_cast<int64_t>(n);
  };
  sqlite3_bind_int64(stmt(id), 1, clamp(limit));
  sqlite3_bind_int64(stmt(id), 2, clamp(offset));
  if (!owner.empty())
    bind_text(id, 3, owner);
  return rows(id, read_job);
}

result<std::map<task_state, int64_t>> sqlite_store::counts(stmt_id id) {
  sqlite::reset_guard guard{stmt(id)};
  std::map<task_state, int64_t> out;
  for (;;) {
    int rc = sqlite3_step(stmt(id));
    if (rc == SQLITE_DONE)
      return out;
    if (rc != SQLITE_ROW)
      return sqlite::fail(db_.get(), "task counts", rc);
    auto name = sqlite::column_text(stmt(id), 0);
    auto state = parse_task_state(name);
    if (!state)
      return error{errc::internal,
                   "sqlite: corrupt row in tasks: state: unknown state '" + name
                       + "'"};
    out[*state] = sqlite3_column_int64(stmt(id), 1);
  }
}

} // namespace

result<std::unique_ptr<store>> open_sqlite_store(const sqlite_options& opts) {
  auto st = std::make_unique<sqlite_store>();
  if (auto ok = st->open(opts); !ok)
    return ok.error();
  return std::unique_ptr<store>{std::move(st)};
}

} // namespace rxon::storage
