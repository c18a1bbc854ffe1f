// Checkpoints on their own thread and connection keep the WAL bounded while
// a writer commits, and lose nothing.

#include "storage/wal_checkpointer.hpp"
#include "tests/storage/storage_support.hpp"
#include "tests/support/wait_until.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

using rxon::storage::sqlite::wal_checkpointer;
using rxon::storage::test::temp_dir;

namespace {

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  INFO(sql << ": " << (err ? err : ""));
  sqlite3_free(err);
  REQUIRE(rc == SQLITE_OK);
}

sqlite3* open_wal(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  // As the store's writer: the checkpointer's connection holds a WAL lock
  // for moments, and a write that meets one then gets SQLITE_BUSY unless
  // it waits.
  sqlite3_busy_timeout(db, 5000);
  exec(db, "PRAGMA journal_mode = WAL");
  exec(db, "PRAGMA synchronous = NORMAL");
  return db;
}

/// Commits one row of `bytes` bytes (a page or more of WAL per commit).
void commit_row(sqlite3* db, int i, int bytes) {
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "INSERT INTO t(i, pad) VALUES (?1, ?2)", -1,
                             &s, nullptr)
          == SQLITE_OK);
  std::string pad(static_cast<std::size_t>(bytes), 'x');
  sqlite3_bind_int(s, 1, i);
  sqlite3_bind_text(s, 2, pad.data(), bytes, SQLITE_TRANSIENT);
  REQUIRE(sqlite3_step(s) == SQLITE_DONE);
  sqlite3_finalize(s);
}

int64_t count_rows(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &s, nullptr)
          == SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  auto n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

} // namespace

TEST_CASE("the checkpointer thread keeps the WAL bounded and loses nothing") {
  temp_dir dir;
  auto path = dir.file("ckpt.db");
  auto* db = open_wal(path);
  exec(db, "CREATE TABLE t(i INTEGER PRIMARY KEY, pad TEXT)");
  constexpr int threshold = 20; // SQLite's own automatic one is 1000
  constexpr int commits = 3000; // ~3000 pages: 150 thresholds
  {
    auto c = wal_checkpointer::start(path, threshold);
    REQUIRE(c);
    (*c)->attach(db);
    std::uintmax_t largest_wal = 0;
    for (int i = 0; i < commits; ++i) {
      commit_row(db, i, 3000);
      if (i % 100 == 99) {
        largest_wal
            = std::max(largest_wal, std::filesystem::file_size(path + "-wal"));
        // Let the thread take its turn, as gaps between group commits do.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    CHECK((*c)->checkpoints() > 0);
    CHECK((*c)->restarts() > 0);
    // Without checkpoints the WAL would hold every commit (> 3000 pages);
    // the writer restarts it from 16 thresholds on, and the bound is its
    // copy of whatever is left at 20.
    CHECK(largest_wal < std::uintmax_t{21 * threshold * 4200});
    CHECK(count_rows(path) == commits); // another connection sees all
  }                            // unhooked and stopped before the writer closes
  commit_row(db, commits, 10); // the writer goes on without it
  sqlite3_close(db);
  CHECK(count_rows(path) == commits + 1);
}

TEST_CASE("an idle writer copies the rest of the WAL, so the next write "
          "restarts it") {
  temp_dir dir;
  auto path = dir.file("idle.db");
  auto* db = open_wal(path);
  exec(db, "CREATE TABLE t(i INTEGER PRIMARY KEY, pad TEXT)");
  constexpr int threshold = 20;
  bool idle_first = false;
  SUBCASE("told it is idle") {
    idle_first = true;
  }
  SUBCASE("not told") {
    idle_first = false;
  }
  {
    auto c = wal_checkpointer::start(path, threshold);
    REQUIRE(c);
    (*c)->attach(db);
    int i = 0;
    for (; i < 25; ++i)
      commit_row(db, i, 3000);
    REQUIRE(rxon::test::wait_until([&] { return (*c)->checkpoints() > 0; }));
    // A reader's snapshot keeps the thread from copying the frames that
    // follow; once it ends they stay uncopied (no new wake-up is due).
    auto* reader = open_wal(path);
    exec(reader, "BEGIN; SELECT count(*) FROM t;");
    for (int k = 0; k < 15; ++k, ++i)
      commit_row(db, i, 3000);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    exec(reader, "COMMIT");
    sqlite3_close(reader);
    const auto before = (*c)->restarts();
    if (idle_first)
      (*c)->writer_idle();
    commit_row(db, i++, 10);
    // Restarted: this write went to the top of the WAL.
    CHECK((*c)->restarts() == before + (idle_first ? 1 : 0));
    CHECK(count_rows(path) == i);
  }
  sqlite3_close(db);
}
