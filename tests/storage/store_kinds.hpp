#pragma once

// The store kinds every store test runs on (memory twin, SQLite file,
// SQLite in memory) and small helpers shared by those tests.

#include "storage/store.hpp"
#include "tests/storage/storage_support.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

namespace rxon::storage::test {

template <class T>
T get(result<T> r) {
  if (!r)
    FAIL(r.error().message);
  return std::move(*r);
}

inline void ok(const status& st) {
  if (!st)
    FAIL(st.error().message);
}

struct memory_kind {
  static std::unique_ptr<store> open(const temp_dir&) {
    return make_memory_store();
  }
};

struct sqlite_kind {
  static std::unique_ptr<store> open(const temp_dir& dir) {
    return get(open_sqlite_store({dir.file("rxon.db")}));
  }
};

/// SQLite without a file (no WAL): same behaviour expected.
struct sqlite_memory_kind {
  static std::unique_ptr<store> open(const temp_dir&) {
    return get(open_sqlite_store({":memory:"}));
  }
};

template <class Kind>
struct fixture {
  temp_dir dir;
  std::unique_ptr<store> st;
  fixture() {
    REQUIRE(dir.ok());
    st = Kind::open(dir);
    REQUIRE(st != nullptr);
  }
};

inline std::vector<std::string> ids(const std::vector<task_record>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts)
    out.push_back(t.task_id);
  return out;
}

inline std::vector<std::string> ids(const std::vector<job_record>& js) {
  std::vector<std::string> out;
  for (const auto& j : js)
    out.push_back(j.job_id);
  return out;
}

} // namespace rxon::storage::test
