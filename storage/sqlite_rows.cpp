#include "storage/sqlite_rows.hpp"

#include <optional>
#include <utility>

namespace rxon::storage::sqlite {

std::string column_text(sqlite3_stmt* s, int col) {
  auto* p = sqlite3_column_text(s, col);
  auto n = sqlite3_column_bytes(s, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(n))
           : std::string{};
}

namespace {

/// Reads the columns of the current row left to right.
class row_reader {
public:
  row_reader(sqlite3_stmt* s, const char* table) : s_(s), table_(table) {}

  std::string text() { return column_text(s_, col_++); }
  int64_t integer() { return sqlite3_column_int64(s_, col_++); }
  double real() { return sqlite3_column_double(s_, col_++); }
  bool is_null() const { return sqlite3_column_type(s_, col_) == SQLITE_NULL; }
  void skip() { ++col_; }

  /// A JSON column: SQL NULL is JSON null. Remembers the first problem.
  json::value json(const char* field) {
    if (is_null()) {
      ++col_;
      return {};
    }
    auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col_));
    auto n = static_cast<std::size_t>(sqlite3_column_bytes(s_, col_++));
    auto v = json::parse(std::string_view{p ? p : "", n});
    if (!v) {
      problem(field, v.error().message);
      return {};
    }
    return std::move(*v);
  }

  void problem(const char* field, const std::string& what) {
    if (!err_)
      err_ = error{errc::internal, std::string{"sqlite: corrupt row in "}
                                       + table_ + ": " + field + ": " + what};
  }
  status done() {
    if (err_)
      return *err_;
    return {};
  }

private:
  sqlite3_stmt* s_;
  const char* table_;
  int col_ = 0;
  std::optional<error> err_;
};

} // namespace

result<task_record> read_task(sqlite3_stmt* s) {
  row_reader r{s, "tasks"};
  task_record t;
  t.task_id = r.text();
  t.job_id = r.text();
  t.type = r.text();
  auto state = r.text();
  if (auto st = parse_task_state(state))
    t.state = *st;
  else
    r.problem("state", "unknown state '" + state + "'");
  t.attempts = static_cast<int32_t>(r.integer());
  t.max_attempts = static_cast<int32_t>(r.integer());
  t.holon_id = r.text();
  t.lease_expiry_ms = r.integer();
  t.not_before_ms = r.integer();
  t.priority = r.real();
  if (r.is_null())
    r.skip();
  else
    t.deadline_ms = r.integer();
  if (r.is_null())
    r.skip();
  else
    t.max_cost = r.real();
  t.params = r.json("params");
  t.requirements = r.json("requirements");
  t.skill = r.json("skill");
  t.result = r.json("result");
  t.error = r.json("error");
  t.origin_worker_id = r.text();
  t.created_ms = r.integer();
  t.updated_ms = r.integer();
  if (auto st = r.done(); !st)
    return st.error();
  return t;
}

result<job_record> read_job(sqlite3_stmt* s) {
  row_reader r{s, "jobs"};
  job_record j;
  j.job_id = r.text();
  j.owner = r.text();
  j.metadata = r.json("metadata");
  j.created_ms = r.integer();
  if (auto st = r.done(); !st)
    return st.error();
  return j;
}

result<holon_record> read_holon(sqlite3_stmt* s) {
  row_reader r{s, "holons"};
  holon_record h;
  h.holon_id = r.text();
  h.parent_id = r.text();
  h.registration = r.json("registration");
  h.registered_ms = r.integer();
  if (auto st = r.done(); !st)
    return st.error();
  return h;
}

result<event_record> read_event(sqlite3_stmt* s) {
  row_reader r{s, "events"};
  event_record e;
  e.ts_ms = r.integer();
  e.kind = r.text();
  e.job_id = r.text();
  e.task_id = r.text();
  e.holon_id = r.text();
  e.data = r.json("data");
  if (auto st = r.done(); !st)
    return st.error();
  return e;
}

} // namespace rxon::storage::sqlite
