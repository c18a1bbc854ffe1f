#include "storage/sqlite_task_writes.hpp"

#include "storage/sqlite_rows.hpp"

namespace rxon::storage::sqlite {

namespace {

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
constexpr int put_params = 20;
constexpr int update_params = 10;

/// `rows` parenthesised groups of `params` numbered parameters: ?1..?n for
/// the first row, ?n+1..?2n for the second, and so on.
std::string values(std::size_t rows, int params) {
  std::string sql;
  int n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (int c = 0; c < params; ++c) {
      sql += c == 0 ? "?" : ", ?";
      sql += std::to_string(++n);
    }
    sql += ')';
  }
  return sql;
}

std::string put_sql(std::size_t rows) {
  return "INSERT INTO task_base(" RXON_TASK_COLUMNS ") VALUES "
         + values(rows, put_params) + sql_task_conflict;
}

/// The narrow state-transition write: a row of task_states (schema v4)
/// with only the mutable columns, so the task_base row, its index and its
/// JSON inputs are left alone. Rows of one statement apply in order, so the
/// last update of a task listed twice wins. The foreign key refuses an
/// update of a task that is not stored.
std::string update_sql(std::size_t rows) {
  return "INSERT OR REPLACE INTO task_states(task_id, state, attempts, "
         "holon_id, lease_expiry_ms, not_before_ms, result, error, "
         "origin_worker_id, updated_ms) VALUES "
         + values(rows, update_params);
}

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

/// Binds `v` as canonical JSON text kept in `buf` until the next bind.
void bind_json(sqlite3_stmt* s, int i, const json::value& v, std::string& buf) {
  if (v.is_null()) {
    sqlite3_bind_null(s, i);
    return;
  }
  buf.clear();
  json::write(v, buf);
  bind_text(s, i, buf);
}

error naming(const std::string& task_id, const error& e) {
  return error{e.code, "task '" + task_id + "': " + e.message};
}

} // namespace

status task_writes::prepare(sqlite3* db) {
  db_ = db;
  for (auto [ptr, sql] : {std::pair{&put_one_, put_sql(1)},
                          std::pair{&put_chunk_, put_sql(chunk)},
                          std::pair{&update_one_, update_sql(1)},
                          std::pair{&update_chunk_, update_sql(chunk)}}) {
    auto s = sqlite::prepare(db, sql);
    if (!s)
      return std::move(s).error();
    *ptr = std::move(*s);
  }
  return {};
}

void task_writes::bind_put(sqlite3_stmt* s, int base, const task_record& t,
                           std::string* bufs) {
  auto at = [base](int i) { return base + i; };
  bind_text(s, at(1), t.task_id);
  bind_text(s, at(2), t.job_id);
  bind_text(s, at(3), t.type);
  sqlite3_bind_text(s, at(4), to_string(t.state), -1, SQLITE_STATIC);
  sqlite3_bind_int(s, at(5), t.attempts);
  sqlite3_bind_int(s, at(6), t.max_attempts);
  bind_text(s, at(7), t.holon_id);
  sqlite3_bind_int64(s, at(8), t.lease_expiry_ms);
  sqlite3_bind_int64(s, at(9), t.not_before_ms);
  sqlite3_bind_double(s, at(10), t.priority);
  if (t.deadline_ms)
    sqlite3_bind_int64(s, at(11), *t.deadline_ms);
  else
    sqlite3_bind_null(s, at(11));
  if (t.max_cost)
    sqlite3_bind_double(s, at(12), *t.max_cost);
  else
    sqlite3_bind_null(s, at(12));
  bind_json(s, at(13), t.params, bufs[0]);
  bind_json(s, at(14), t.requirements, bufs[1]);
  bind_json(s, at(15), t.skill, bufs[2]);
  bind_json(s, at(16), t.result, bufs[3]);
  bind_json(s, at(17), t.error, bufs[4]);
  bind_text(s, at(18), t.origin_worker_id);
  sqlite3_bind_int64(s, at(19), t.created_ms);
  sqlite3_bind_int64(s, at(20), t.updated_ms);
}

void task_writes::bind_update(sqlite3_stmt* s, int base, const task_update& u,
                              std::string* bufs) {
  bind_text(s, base + 1, u.task_id);
  sqlite3_bind_text(s, base + 2, to_string(u.state), -1, SQLITE_STATIC);
  sqlite3_bind_int(s, base + 3, u.attempts);
  bind_text(s, base + 4, u.holon_id);
  sqlite3_bind_int64(s, base + 5, u.lease_expiry_ms);
  sqlite3_bind_int64(s, base + 6, u.not_before_ms);
  bind_json(s, base + 7, u.result, bufs[0]);
  bind_json(s, base + 8, u.error, bufs[1]);
  bind_text(s, base + 9, u.origin_worker_id);
  sqlite3_bind_int64(s, base + 10, u.updated_ms);
}

status task_writes::put_one(const task_record& t) {
  auto* s = put_one_.get();
  bind_put(s, 0, t, bufs_.data());
  reset_guard guard{s};
  if (int rc = sqlite3_step(s); rc != SQLITE_DONE)
    return naming(t.task_id, fail(db_, "upsert task", rc));
  return {};
}

status task_writes::update_one(const task_update& u) {
  auto* s = update_one_.get();
  bind_update(s, 0, u, bufs_.data());
  reset_guard guard{s};
  if (int rc = sqlite3_step(s); rc != SQLITE_DONE) {
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      return error{errc::conflict,
                   "task '" + u.task_id + "': update of a task not stored"};
    return naming(u.task_id, fail(db_, "update task", rc));
  }
  return {};
}

status task_writes::put(const std::vector<task_record>& tasks) {
  std::size_t i = 0;
  auto* s = put_chunk_.get();
  for (; i + chunk <= tasks.size(); i += chunk) {
    for (std::size_t r = 0; r < chunk; ++r)
      bind_put(s, static_cast<int>(r) * put_params, tasks[i + r],
               &bufs_[r * 5]);
    reset_guard guard{s};
    if (int rc = sqlite3_step(s); rc != SQLITE_DONE) {
      auto err = fail(db_, "upsert tasks", rc);
      // The failed statement changed nothing; redo its rows one by one
      // to name the task at fault (the transaction is rolled back anyway).
      for (std::size_t r = 0; r < chunk; ++r)
        if (auto st = put_one(tasks[i + r]); !st)
          return st;
      return err;
    }
  }
  for (; i < tasks.size(); ++i)
    if (auto st = put_one(tasks[i]); !st)
      return st;
  return {};
}

status task_writes::update(const std::vector<task_update>& updates) {
  std::size_t i = 0;
  auto* s = update_chunk_.get();
  for (; i + chunk <= updates.size(); i += chunk) {
    for (std::size_t r = 0; r < chunk; ++r)
      bind_update(s, static_cast<int>(r) * update_params, updates[i + r],
                  &bufs_[r * 2]);
    int rc = SQLITE_OK;
    {
      reset_guard guard{s};
      rc = sqlite3_step(s);
    }
    if (rc == SQLITE_DONE)
      continue;
    // The failed statement changed nothing; redo its rows one by one to
    // name the task at fault (the transaction is rolled back anyway).
    for (std::size_t r = 0; r < chunk; ++r)
      if (auto st = update_one(updates[i + r]); !st)
        return st;
    return fail(db_, "update tasks", rc);
  }
  for (; i < updates.size(); ++i)
    if (auto st = update_one(updates[i]); !st)
      return st;
  return {};
}

} // namespace rxon::storage::sqlite
