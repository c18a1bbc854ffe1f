#pragma once

// RAII for the SQLite C API (private to storage/*.cpp: the only place that
// sees sqlite3.h).

#include "protocol/error.hpp"

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

namespace rxon::storage::sqlite {

struct db_deleter {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct stmt_deleter {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};

using db_ptr = std::unique_ptr<sqlite3, db_deleter>;
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_deleter>;

/// An error naming the operation, the result code and sqlite3_errmsg.
inline error fail(sqlite3* db, std::string_view what, int rc) {
  std::string msg = "sqlite: ";
  msg.append(what);
  msg += ": ";
  msg += sqlite3_errstr(rc);
  if (db != nullptr && sqlite3_errcode(db) == rc) {
    msg += " (";
    msg += sqlite3_errmsg(db);
    msg += ')';
  }
  auto primary = rc & 0xff;
  auto code = primary == SQLITE_CONSTRAINT ? errc::conflict
              : primary == SQLITE_BUSY || primary == SQLITE_LOCKED
                      || primary == SQLITE_READONLY || primary == SQLITE_FULL
                      || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN
                  ? errc::unavailable
                  : errc::internal;
  return error{code, std::move(msg)};
}

/// Runs SQL without results (pragmas, DDL, transaction control).
inline status exec(sqlite3* db, const char* sql, std::string_view what = {}) {
  if (int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
      rc != SQLITE_OK)
    return fail(db, what.empty() ? std::string_view{sql} : what, rc);
  return {};
}

inline result<stmt_ptr> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  stmt_ptr stmt{raw};
  if (rc != SQLITE_OK)
    return fail(db, "prepare " + std::string{sql}, rc);
  return stmt;
}

/// Resets a statement on scope exit so it never holds a read snapshot or
/// a lock between uses.
class reset_guard {
public:
  explicit reset_guard(sqlite3_stmt* s) noexcept : s_(s) {}
  ~reset_guard() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  reset_guard(const reset_guard&) = delete;
  reset_guard& operator=(const reset_guard&) = delete;

private:
  sqlite3_stmt* s_;
};

/// A write transaction (BEGIN IMMEDIATE) rolled back unless committed.
class transaction {
public:
  transaction(sqlite3* db, sqlite3_stmt* begin, sqlite3_stmt* commit,
              sqlite3_stmt* rollback) noexcept
      : db_(db), begin_(begin), commit_(commit), rollback_(rollback) {}
  ~transaction() {
    if (open_) {
      sqlite3_step(rollback_);
      sqlite3_reset(rollback_);
    }
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  status begin() { return run(begin_, "BEGIN IMMEDIATE", true); }
  status commit() { return run(commit_, "COMMIT", false); }

private:
  status run(sqlite3_stmt* s, const char* what, bool opens) {
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) {
      auto err = fail(db_, what, rc);
      sqlite3_reset(s);
      // A failed COMMIT may leave the transaction open: roll back then.
      open_ = !opens && sqlite3_get_autocommit(db_) == 0;
      return err;
    }
    sqlite3_reset(s);
    open_ = opens;
    return {};
  }

  sqlite3* db_;
  sqlite3_stmt* begin_;
  sqlite3_stmt* commit_;
  sqlite3_stmt* rollback_;
  bool open_ = false;
};

} // namespace rxon::storage::sqlite
