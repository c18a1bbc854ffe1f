#include "storage/sqlite_task_writes.hpp"

#include "storage/sqlite_rows.hpp"

#include <bit>
#include <string_view>
#include <unordered_set>

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
/// the first row, ?n+1..?2n for the second, and so on; each group starts
/// with `lead` when given (e.g. "NULL, ").
std::string values(std::size_t rows, int params, const char* lead = "") {
  std::string sql;
  int n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    sql += lead;
    for (int c = 0; c < params; ++c) {
      sql += c == 0 ? "?" : ", ?";
      sql += std::to_string(++n);
    }
    sql += ')';
  }
  return sql;
}

/// task_seq is named and NULL: SQLite assigns the next one, the largest
/// stored plus one (see predict_seqs). Left out, SQLite copied each row's
/// 20 values once more before inserting; bound, it sought the table's
/// b-tree to check that the number is free.
std::string put_sql(std::size_t rows) {
  return "INSERT INTO task_base(task_seq, " RXON_TASK_COLUMNS ") VALUES "
         + values(rows, put_params, "NULL, ") + sql_task_conflict;
}

constexpr const char* update_columns
    = "task_states(task_seq, state, attempts, holon_id, lease_expiry_ms, "
      "not_before_ms, result, error, origin_worker_id, updated_ms)";

/// The narrow state-transition write: a row of task_states (schema v4)
/// with only the mutable columns, so the task_base row, its index and its
/// JSON inputs are left alone. This form names the task by task_id, for
/// the tasks whose task_seq this connection does not know. The join finds
/// the task's task_seq, the key of task_states (v5), and is the reference
/// check: an update of a task not stored inserts no row, which the caller
/// sees in the count of changes (SQLite's own foreign key check opened a
/// cursor on task_base for every row). Rows of one statement apply in
/// order (the CROSS JOIN keeps the VALUES as the outer loop), so the last
/// update of a task listed twice wins.
std::string update_sql(std::size_t rows) {
  return std::string{"INSERT OR REPLACE INTO "} + update_columns
         + " SELECT b.task_seq, v.column2, "
           "v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, "
           "v.column9, v.column10 FROM (VALUES "
         + values(rows, update_params)
         + ") AS v CROSS JOIN task_base AS b ON b.task_id = v.column1";
}

/// As update_sql, for rows that name their task's task_seq: the task is
/// known to be stored (this connection put it), and no index is sought.
std::string keyed_update_sql(std::size_t rows) {
  return std::string{"INSERT OR REPLACE INTO "} + update_columns + " VALUES "
         + values(rows, update_params);
}

/// The task_seq SQLite gives the next task inserted (the table's last
/// entry, found without a scan).
constexpr const char* next_seq_sql
    = "SELECT ifnull(max(task_seq), 0) + 1 FROM task_base";

constexpr const char* job_exists_sql = "SELECT 1 FROM jobs WHERE job_id = ?1";

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

/// Binds JSON encoded once, shared by the records that carry it.
void bind_shared(sqlite3_stmt* s, int i, const json::shared_value& v) {
  if (v.is_null())
    sqlite3_bind_null(s, i);
  else
    bind_text(s, i, v.text());
}

error naming(const std::string& task_id, const error& e) {
  return error{e.code, "task '" + task_id + "': " + e.message};
}

} // namespace

status task_writes::prepare(sqlite3* db) {
  db_ = db;
  put_slots_ = {}; // new statements hold no bindings
  update_slots_ = {};
  keyed_update_slots_ = {};
  seqs_.clear();
  auto exists = sqlite::prepare(db, job_exists_sql);
  if (!exists)
    return std::move(exists).error();
  job_exists_ = std::move(*exists);
  for (std::size_t k = 0; k < sizes.size(); ++k)
    for (auto [ptr, sql] :
         {std::pair{&puts_[k], put_sql(sizes[k])},
          std::pair{&updates_[k], update_sql(sizes[k])},
          std::pair{&keyed_updates_[k], keyed_update_sql(sizes[k])}}) {
      auto st = sqlite::prepare(db, sql);
      if (!st)
        return std::move(st).error();
      *ptr = std::move(*st);
    }
  auto next = sqlite::prepare(db, next_seq_sql);
  if (!next)
    return std::move(next).error();
  next_seq_ = std::move(*next);
  return {};
}

void task_writes::rolled_back() noexcept {
  seqs_.clear();
}

status task_writes::predict_seqs(const std::vector<const task_record*>& tasks) {
  // Run inside the write transaction: no other connection inserts until
  // it ends, so SQLite numbers this batch's new rows from here, in order.
  auto* s = next_seq_.get();
  reset_guard guard{s};
  if (int rc = sqlite3_step(s); rc != SQLITE_ROW)
    return fail(db_, "find the next task_seq", rc);
  int64_t next = sqlite3_column_int64(s, 0);
  remembered_ = 0;
  for (const auto* t : tasks) {
    if (seqs_.find(t->task_id))
      continue; // stored: the put updates its row, which keeps its number
    // Presumed new: inserted with the next number.
    if (seqs_.append(t->task_id, next))
      ++remembered_;
    ++next;
  }
  last_predicted_ = next - 1;
  return {};
}

void task_writes::confirm_seqs() {
  // A presumed-new task that was stored (put before this connection knew
  // its number, e.g. before a restart) took no number, so SQLite's last
  // insert falls short of the prediction; with no insert at all it stays
  // at the 0 put() set. Then none of this batch's guesses is trusted
  // (with no presumed-new task there is nothing to forget).
  if (sqlite3_last_insert_rowid(db_) != last_predicted_)
    seqs_.pop_back(remembered_); // the put's, the newest
}

namespace {

/// A task as submitted: its state columns hold their defaults.
bool fresh(const task_record& t) noexcept {
  return t.state == task_state::pending && t.attempts == 0 && t.holon_id.empty()
         && t.lease_expiry_ms == 0 && t.not_before_ms == 0 && t.result.is_null()
         && t.error.is_null() && t.origin_worker_id.empty();
}

} // namespace

namespace {

/// Which entry of `sizes` statement `s` is, among `stmts`.
std::size_t
size_index(const std::array<stmt_ptr, task_writes::sizes.size()>& stmts,
           sqlite3_stmt* s) noexcept {
  std::size_t k = 0;
  while (k + 1 < stmts.size() && stmts[k].get() != s)
    ++k;
  return k;
}

} // namespace

task_writes::put_slot& task_writes::put_slot_of(sqlite3_stmt* s,
                                                int base) noexcept {
  return put_slots_[size_index(puts_, s)]
                   [static_cast<std::size_t>(base / put_params)];
}

void task_writes::bind_put(sqlite3_stmt* s, int base, const task_record& t,
                           std::string* bufs) {
  auto at = [base](int i) { return base + i; };
  // Bindings outlive sqlite3_reset, so a column whose row slot already
  // holds the value is not bound again: the values bound by value, from
  // static storage or from the slot's own copies (a job's tasks share their
  // job id, a class's its requirements). Text from the record itself (ids,
  // params) is always bound: the record is gone after its commit.
  auto& slot = put_slot_of(s, base);
  const bool known = slot.bound;
  slot.bound = true;
  bind_text(s, at(1), t.task_id);
  if (!known || slot.job_id != t.job_id) {
    slot.job_id = t.job_id;
    bind_text(s, at(2), slot.job_id);
  }
  bind_text(s, at(3), t.type);
  // Nearly every put is a submission, whose eight state columns are the
  // defaults: a third of a put's binding work.
  const bool defaults = fresh(t);
  if (!defaults || !known || !slot.fresh) {
    static const std::string none;
    sqlite3_bind_text(s, at(4), to_string(t.state), -1, SQLITE_STATIC);
    sqlite3_bind_int(s, at(5), t.attempts);
    bind_text(s, at(7), defaults ? none : t.holon_id);
    sqlite3_bind_int64(s, at(8), t.lease_expiry_ms);
    sqlite3_bind_int64(s, at(9), t.not_before_ms);
    bind_json(s, at(16), t.result, bufs[3]);
    bind_json(s, at(17), t.error, bufs[4]);
    bind_text(s, at(18), defaults ? none : t.origin_worker_id);
  }
  slot.fresh = defaults;
  if (!known || slot.max_attempts != t.max_attempts) {
    sqlite3_bind_int(s, at(6), t.max_attempts);
    slot.max_attempts = t.max_attempts;
  }
  if (const auto bits = std::bit_cast<uint64_t>(t.priority);
      !known || slot.priority_bits != bits) {
    sqlite3_bind_double(s, at(10), t.priority);
    slot.priority_bits = bits;
  }
  if (!known || slot.deadline_ms != t.deadline_ms) {
    if (t.deadline_ms)
      sqlite3_bind_int64(s, at(11), *t.deadline_ms);
    else
      sqlite3_bind_null(s, at(11));
    slot.deadline_ms = t.deadline_ms;
  }
  std::optional<uint64_t> cost_bits;
  if (t.max_cost)
    cost_bits = std::bit_cast<uint64_t>(*t.max_cost);
  if (!known || slot.max_cost_bits != cost_bits) {
    if (t.max_cost)
      sqlite3_bind_double(s, at(12), *t.max_cost);
    else
      sqlite3_bind_null(s, at(12));
    slot.max_cost_bits = cost_bits;
  }
  bind_json(s, at(13), t.params, bufs[0]);
  if (!known || slot.requirements.identity() != t.requirements.identity()) {
    slot.requirements = t.requirements;
    bind_shared(s, at(14), slot.requirements);
  }
  if (!known || slot.skill.identity() != t.skill.identity()) {
    slot.skill = t.skill;
    bind_shared(s, at(15), slot.skill);
  }
  if (!known || slot.created_ms != t.created_ms) {
    sqlite3_bind_int64(s, at(19), t.created_ms);
    slot.created_ms = t.created_ms;
  }
  if (!known || slot.updated_ms != t.updated_ms) {
    sqlite3_bind_int64(s, at(20), t.updated_ms);
    slot.updated_ms = t.updated_ms;
  }
}

task_writes::update_slot& task_writes::update_slot_of(sqlite3_stmt* s,
                                                      int base) noexcept {
  const auto row = static_cast<std::size_t>(base / update_params);
  const auto k = size_index(keyed_updates_, s);
  if (keyed_updates_[k].get() == s)
    return keyed_update_slots_[k][row];
  return update_slots_[size_index(updates_, s)][row];
}

void task_writes::bind_update(sqlite3_stmt* s, int base, const task_update& u,
                              std::string* bufs) {
  bind_text(s, base + 1, u.task_id);
  bind_update_state(s, base, u, bufs, update_slot_of(s, base));
}

void task_writes::bind_keyed_update(sqlite3_stmt* s, int base,
                                    const keyed_update& k, std::string* bufs) {
  sqlite3_bind_int64(s, base + 1, k.task_seq);
  bind_update_state(s, base, *k.update, bufs, update_slot_of(s, base));
}

void task_writes::bind_update_state(sqlite3_stmt* s, int base,
                                    const task_update& u, std::string* bufs,
                                    update_slot& slot) {
  // Bindings outlive sqlite3_reset, so a column whose slot already holds
  // the row's value is not bound again: the state (static text), the
  // integers, a null result or error and an empty origin (static ""), most
  // of them alike from one update to the next. Text from the record itself
  // (the ids, JSON) is always bound: the record is gone after the commit.
  const bool known = slot.bound;
  slot.bound = true;
  if (!known || slot.state != u.state) {
    sqlite3_bind_text(s, base + 2, to_string(u.state), -1, SQLITE_STATIC);
    slot.state = u.state;
  }
  if (!known || slot.attempts != u.attempts) {
    sqlite3_bind_int(s, base + 3, u.attempts);
    slot.attempts = u.attempts;
  }
  bind_text(s, base + 4, u.holon_id);
  if (!known || slot.lease_expiry_ms != u.lease_expiry_ms) {
    sqlite3_bind_int64(s, base + 5, u.lease_expiry_ms);
    slot.lease_expiry_ms = u.lease_expiry_ms;
  }
  if (!known || slot.not_before_ms != u.not_before_ms) {
    sqlite3_bind_int64(s, base + 6, u.not_before_ms);
    slot.not_before_ms = u.not_before_ms;
  }
  if (!known || !slot.result_null || !u.result.is_null())
    bind_json(s, base + 7, u.result, bufs[0]);
  slot.result_null = u.result.is_null();
  if (!known || !slot.error_null || !u.error.is_null())
    bind_json(s, base + 8, u.error, bufs[1]);
  slot.error_null = u.error.is_null();
  if (u.origin_worker_id.empty()) {
    static const std::string none;
    if (!known || !slot.origin_empty)
      bind_text(s, base + 9, none);
  } else {
    bind_text(s, base + 9, u.origin_worker_id);
  }
  slot.origin_empty = u.origin_worker_id.empty();
  if (!known || slot.updated_ms != u.updated_ms) {
    sqlite3_bind_int64(s, base + 10, u.updated_ms);
    slot.updated_ms = u.updated_ms;
  }
}

status task_writes::put_one(const task_record& t) {
  auto* s = puts_.back().get();
  bind_put(s, 0, t, bufs_.data());
  reset_guard guard{s};
  if (int rc = sqlite3_step(s); rc != SQLITE_DONE)
    return naming(t.task_id, fail(db_, "upsert task", rc));
  return {};
}

status task_writes::update_one(const task_update& u) {
  auto* s = updates_.back().get();
  bind_update(s, 0, u, bufs_.data());
  reset_guard guard{s};
  if (int rc = sqlite3_step(s); rc != SQLITE_DONE)
    return naming(u.task_id, fail(db_, "update task", rc));
  if (sqlite3_changes(db_) == 0)
    return error{errc::conflict,
                 "task '" + u.task_id + "': update of a task not stored"};
  return {};
}

status task_writes::keyed_update_one(const keyed_update& k) {
  auto* s = keyed_updates_.back().get();
  bind_keyed_update(s, 0, k, bufs_.data());
  reset_guard guard{s};
  if (int rc = sqlite3_step(s); rc != SQLITE_DONE)
    return naming(k.update->task_id, fail(db_, "update task", rc));
  return {};
}

status task_writes::check_jobs(const std::vector<const task_record*>& tasks) {
  // A batch's tasks come in runs of one job: look each job up once.
  std::unordered_set<std::string_view> known;
  std::string_view last;
  auto* s = job_exists_.get();
  for (const auto* rec : tasks) {
    const auto& t = *rec;
    if (t.job_id == last || known.contains(t.job_id))
      continue;
    bind_text(s, 1, t.job_id);
    reset_guard guard{s};
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE)
      return error{errc::conflict, "task '" + t.task_id + "': job '" + t.job_id
                                       + "' does not exist"};
    if (rc != SQLITE_ROW)
      return naming(t.task_id, fail(db_, "look up job", rc));
    known.insert(t.job_id);
    last = t.job_id;
  }
  return {};
}

namespace {

template <class T>
const T& row_of(const T* p) noexcept {
  return *p;
}
template <class T>
const T& row_of(const T& v) noexcept {
  return v;
}

} // namespace

template <class Row, class Bind, class One>
status task_writes::write(const std::vector<Row>& rows,
                          std::array<stmt_ptr, sizes.size()>& stmts, int params,
                          std::size_t bufs_per_row, Bind bind, One one,
                          const char* what) {
  std::size_t i = 0;
  for (std::size_t k = 0; k + 1 < sizes.size(); ++k) {
    const auto n = sizes[k];
    auto* s = stmts[k].get();
    for (; i + n <= rows.size(); i += n) {
      for (std::size_t r = 0; r < n; ++r)
        (this->*bind)(s, static_cast<int>(r) * params, row_of(rows[i + r]),
                      &bufs_[r * bufs_per_row]);
      int rc = SQLITE_OK;
      {
        reset_guard guard{s};
        rc = sqlite3_step(s);
      }
      // Each row counts one change (an upsert or replace too); fewer
      // means an update found no stored task.
      if (rc == SQLITE_DONE
          && static_cast<std::size_t>(sqlite3_changes(db_)) == n)
        continue;
      // Redo the statement's rows one by one to name the task at fault
      // (the transaction is rolled back anyway).
      for (std::size_t r = 0; r < n; ++r)
        if (auto st = (this->*one)(row_of(rows[i + r])); !st)
          return st;
      return fail(db_, what, rc);
    }
  }
  for (; i < rows.size(); ++i)
    if (auto st = (this->*one)(row_of(rows[i])); !st)
      return st;
  return {};
}

status task_writes::put(const std::vector<const task_record*>& tasks) {
  if (auto st = check_jobs(tasks); !st)
    return st;
  if (auto st = predict_seqs(tasks); !st)
    return st;
  sqlite3_set_last_insert_rowid(db_, 0); // not a job's rowid: see confirm
  if (auto st = write(tasks, puts_, put_params, 5, &task_writes::bind_put,
                      &task_writes::put_one, "upsert tasks");
      !st)
    return st;
  confirm_seqs();
  return {};
}

status task_writes::update(const std::vector<const task_update*>& updates) {
  // All rows of a task go one way, in order, so the last one still wins.
  keyed_.clear();
  unkeyed_.clear();
  for (const auto* u : updates) {
    if (auto seq = seqs_.find(u->task_id))
      keyed_.push_back({*seq, u});
    else
      unkeyed_.push_back(u);
  }
  if (auto st = write(keyed_, keyed_updates_, update_params, 2,
                      &task_writes::bind_keyed_update,
                      &task_writes::keyed_update_one, "update tasks");
      !st)
    return st;
  return write(unkeyed_, updates_, update_params, 2, &task_writes::bind_update,
               &task_writes::update_one, "update tasks");
}

} // namespace rxon::storage::sqlite
