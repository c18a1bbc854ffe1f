// The simulator's per-task bookkeeping.

#include "runtime/simulate/task_book.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rxon::runtime::simulate;

namespace {

// Appended, not "t" + ...: GCC 12 warns falsely (-Wrestrict) on that.
std::string name(const char* prefix, uint64_t i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

} // namespace

TEST_CASE("the task book keeps ids, times and flags by task index") {
  task_book b;
  b.add(3, 100);
  b.add(2, 200);
  for (int i = 0; i < 5; ++i)
    b.set_next_id(name("id", static_cast<uint64_t>(i)));
  CHECK(b.size() == 5);
  CHECK(b.ids_known() == 5);
  CHECK(b.id(0) == "id0");
  CHECK(b.id(4) == "id4");
  CHECK(b.submitted_at(2) == 100);
  CHECK(b.submitted_at(3) == 200);
  b.set(1, task_book::delivered);
  b.set(1, task_book::watched);
  CHECK(b.flags(1) == (task_book::delivered | task_book::watched));
  b.complete(1);
  CHECK((b.flags(1) & task_book::completed) != 0);
  CHECK(b.flags(0) == 0);
}

TEST_CASE("a chunk of the task book is freed once all its tasks completed") {
  task_book b;
  const auto n = task_book::chunk_size + 10;
  b.add(n, 5);
  for (uint64_t i = 0; i < n; ++i)
    b.set_next_id(name("t", i));
  CHECK(b.live_chunks() == 2);
  // Completing all but one of the first chunk keeps it.
  for (uint64_t i = 1; i < task_book::chunk_size; ++i)
    b.complete(i);
  CHECK(b.live_chunks() == 2);
  CHECK(b.id(0) == "t0");
  b.complete(0);
  CHECK(b.live_chunks() == 1);
  // Tasks of a freed chunk read as completed; the others are untouched.
  CHECK((b.flags(7) & task_book::completed) != 0);
  CHECK(b.flags(task_book::chunk_size) == 0);
  CHECK(b.id(task_book::chunk_size + 9) == name("t", n - 1));
  // The last, partly filled chunk stays even when its tasks completed.
  for (uint64_t i = task_book::chunk_size; i < n; ++i)
    b.complete(i);
  CHECK(b.live_chunks() == 1);
}
