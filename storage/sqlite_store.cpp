#include "storage/file_lock.hpp"
#include "storage/schema.hpp"
#include "storage/sqlite_handle.hpp"
#include "storage/sqlite_rows.hpp"
#include "storage/sqlite_task_writes.hpp"
#include "storage/store.hpp"
#include "storage/validation.hpp"
#include "storage/wal_checkpointer.hpp"

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

constexpr const char* sql_upsert_job
    = "INSERT INTO jobs(" RXON_JOB_COLUMNS ") VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(job_id) DO UPDATE SET owner = excluded.owner, "
      "metadata = excluded.metadata, created_ms = excluded.created_ms";
constexpr const char* sql_upsert_holon
    = "INSERT INTO holons(" RXON_HOLON_COLUMNS ") VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(holon_id) DO UPDATE SET parent_id = excluded.parent_id, "
      "registration = excluded.registration, "
      "registered_ms = excluded.registered_ms";

// Indexes into sqlite_store::stmts_.
enum stmt_id : std::size_t {
  begin_tx,
  commit_tx,
  rollback_tx,
  upsert_job,
  finish_job,
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
    "UPDATE jobs SET finished_ms = ?2 WHERE job_id = ?1",
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
    // The jobs not marked finished (partial index jobs_unfinished), then
    // their tasks (tasks_by_job).
    "SELECT " RXON_TASK_COLUMNS " FROM tasks WHERE job_id IN (SELECT job_id "
    "FROM jobs WHERE finished_ms IS NULL) AND (state = 'pending' OR "
    "state = 'assigned' OR state = 'running') ORDER BY task_id",
};

class sqlite_store final : public store {
public:
  status open(const sqlite_options& opts);

  status apply_valid(const change_batch& batch) override {
    change_group group;
    group.add(batch);
    return apply_group(group);
  }
  status apply_group(const change_group& group) override;
  void idle() override {
    if (checkpointer_)
      checkpointer_->writer_idle();
  }
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
  status put_holon(const holon_record& h);
  status put_event(const event_record& e);
  /// apply_group's writes, in one transaction.
  status write_group(const change_group& group);

  std::optional<file_lock> lock_; ///< a file's; released after db_ closes
  sqlite::db_ptr db_;
  // After db_: unhooked and closed before it.
  std::unique_ptr<sqlite::wal_checkpointer> checkpointer_;
  std::array<stmt_ptr, stmt_count> stmts_;
  sqlite::task_writes tasks_;
  std::string json_buf_; ///< JSON text bound until the next bind
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
  const int mode = opts.read_only ? SQLITE_OPEN_READONLY
                                  : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(opts.path.c_str(), &raw, mode | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK)
    return sqlite::fail(db_.get(), "open '" + opts.path + "'", rc);
  sqlite3_extended_result_codes(db_.get(), 1);
  const bool writes_file
      = !opts.read_only && opts.path != ":memory:" && !opts.path.empty();
  if (writes_file) {
    auto lock = file_lock::acquire(opts.path); // before anything is written
    if (!lock)
      return error{lock.error().code, "sqlite: " + lock.error().message};
    lock_ = std::move(*lock);
  }
  // A busy database (e.g. an external sqlite3 shell writing) is waited on
  // for up to 5 s before a statement fails.
  sqlite3_busy_timeout(db_.get(), 5000);
  const char* sync = opts.synchronous == sync_mode::full
                         ? "PRAGMA synchronous = FULL"
                         : "PRAGMA synchronous = NORMAL";
  // 8 MiB of page cache. SQLite walks the whole page-cache hash at every
  // commit (pcache1 truncate in pager_end_transaction), so a bigger cache
  // costs each commit: at 64 MiB that walk was 29% of the writer thread
  // under bench http's ~600 small commits/s. Misses are served by the OS
  // page cache. The schema's REFERENCES are checked by the task writes
  // (once per job, and by a join for updates), not by SQLite, whose check
  // opens a cursor for every row; `PRAGMA foreign_key_check` still finds
  // any violation.
  // A reader leaves the journal mode and sync setting to the writer.
  const char* wal = opts.read_only ? nullptr : "PRAGMA journal_mode = WAL";
  if (opts.read_only)
    sync = nullptr;
  for (const char* sql :
       {wal, sync, "PRAGMA foreign_keys = OFF", "PRAGMA cache_size = -8192",
        "PRAGMA temp_store = MEMORY"})
    if (sql)
      if (auto st = sqlite::exec(db_.get(), sql); !st)
        return st;
  if (auto st = opts.read_only ? require_latest(db_.get()) : migrate(db_.get());
      !st)
    return st;
  for (std::size_t i = 0; i < stmt_count; ++i) {
    auto s = sqlite::prepare(db_.get(), stmt_sql[i]);
    if (!s)
      return std::move(s).error();
    stmts_[i] = std::move(*s);
  }
  if (writes_file) {
    auto c = sqlite::wal_checkpointer::start(
        opts.path, sqlite::wal_checkpointer::default_threshold,
        opts.thread_init);
    if (!c)
      return std::move(c).error();
    checkpointer_ = std::move(*c);
    checkpointer_->attach(db_.get());
  }
  return tasks_.prepare(db_.get());
}

status sqlite_store::put_job(const job_record& j) {
  bind_text(upsert_job, 1, j.job_id);
  bind_text(upsert_job, 2, j.owner);
  bind_json(upsert_job, 3, j.metadata, json_buf_);
  sqlite3_bind_int64(stmt(upsert_job), 4, j.created_ms);
  return step(upsert_job, "upsert job");
}

status sqlite_store::put_holon(const holon_record& h) {
  bind_text(upsert_holon, 1, h.holon_id);
  bind_text(upsert_holon, 2, h.parent_id);
  bind_json(upsert_holon, 3, h.registration, json_buf_);
  sqlite3_bind_int64(stmt(upsert_holon), 4, h.registered_ms);
  return step(upsert_holon, "upsert holon");
}

status sqlite_store::put_event(const event_record& e) {
  sqlite3_bind_int64(stmt(insert_event), 1, e.ts_ms);
  bind_text(insert_event, 2, e.kind);
  bind_text(insert_event, 3, e.job_id);
  bind_text(insert_event, 4, e.task_id);
  bind_text(insert_event, 5, e.holon_id);
  bind_json(insert_event, 6, e.data, json_buf_);
  return step(insert_event, "insert event");
}

status sqlite_store::apply_group(const change_group& group) {
  if (group.empty())
    return {};
  auto st = write_group(group);
  if (!st)
    tasks_.rolled_back(); // nothing of the group is stored
  return st;
}

// Order (shared with the memory twin): jobs, tasks, task updates, finished
// jobs, holon puts, holon removals, events.
status sqlite_store::write_group(const change_group& group) {
  sqlite::transaction tx{db_.get(), stmt(begin_tx), stmt(commit_tx),
                         stmt(rollback_tx)};
  if (auto st = tx.begin(); !st)
    return st;
  for (const auto* j : group.jobs)
    if (auto st = put_job(*j); !st)
      return error{st.error().code,
                   "job '" + j->job_id + "': " + st.error().message};
  if (auto st = tasks_.put(group.tasks); !st)
    return st;
  if (auto st = tasks_.update(group.task_updates); !st)
    return st;
  for (const auto* j : group.finished_jobs) {
    bind_text(finish_job, 1, j->job_id);
    sqlite3_bind_int64(stmt(finish_job), 2, j->finished_ms);
    if (auto st = step(finish_job, "finish job"); !st)
      return st;
    if (sqlite3_changes(db_.get()) == 0)
      return error{errc::conflict,
                   "job '" + j->job_id + "': finished but not stored"};
  }
  for (const auto* h : group.holons)
    if (auto st = put_holon(*h); !st)
      return error{st.error().code,
                   "holon '" + h->holon_id + "': " + st.error().message};
  for (const auto* id : group.removed_holons) {
    bind_text(delete_holon, 1, *id);
    if (auto st = step(delete_holon, "delete holon"); !st)
      return st;
  }
  for (const auto* e : group.events)
    if (auto st = put_event(*e); !st)
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
