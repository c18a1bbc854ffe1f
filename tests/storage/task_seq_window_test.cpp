// The window of recently put task numbers: ordered appends, searches from
// either side of the last hit, the capacity bound and forgetting.

#include "storage/task_seq_window.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <random>
#include <string>

using rxon::storage::sqlite::task_seq_window;

namespace {

/// Fixed-width ids that sort as `i` does.
std::string id_of(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "T%08d", i);
  return buf;
}

} // namespace

TEST_CASE("the window keeps increasing ids that fit and finds each") {
  task_seq_window w{100};
  CHECK(w.append("b", 2));
  CHECK_FALSE(w.append("a", 1)); // sorts before the newest
  CHECK_FALSE(w.append("b", 3)); // not after it either
  CHECK(w.append("b0", 4));      // a longer id after its prefix
  CHECK_FALSE(w.append("a-very-long-task-id", 5)); // beyond 15 bytes
  CHECK_FALSE(w.append("", 7));
  // NUL bytes are bytes: an id and its prefix padded with NULs differ.
  CHECK(w.append("c", 9));
  CHECK(w.append(std::string_view{"c\0", 2}, 10));
  CHECK(w.append("fifteen-chars-x", 8)); // the largest that fits
  CHECK(w.size() == 5);
  CHECK(w.find("b") == 2);
  CHECK(w.find("b0") == 4);
  CHECK(w.find("c") == 9);
  CHECK(w.find(std::string_view{"c\0", 2}) == 10);
  CHECK(w.find("fifteen-chars-x") == 8);
  for (const char* absent : {"a", "a-very-long-task-id", "b00", "c0", "zz"})
    CHECK_FALSE(w.find(absent));
  CHECK_FALSE(w.find(std::string_view{"c\0\0", 3}));
}

TEST_CASE("lookups in any order find every held id") {
  task_seq_window w{5000};
  for (int i = 0; i < 4000; i += 2)
    REQUIRE(w.append(id_of(i), 10'000 + i));
  std::mt19937 rng{7};
  // Random jumps, then runs forwards and backwards from the last hit.
  for (int k = 0; k < 2000; ++k) {
    const int i = static_cast<int>(rng() % 4001);
    CHECK(w.find(id_of(i))
          == (i % 2 == 0 ? std::optional<int64_t>{10'000 + i} : std::nullopt));
  }
  for (int i = 0; i < 4000; i += 2)
    CHECK(w.find(id_of(i)) == 10'000 + i);
  for (int i = 3998; i >= 0; i -= 2)
    CHECK(w.find(id_of(i)) == 10'000 + i);
  CHECK_FALSE(w.find(id_of(-1)));
  CHECK_FALSE(w.find(id_of(4001)));
}

TEST_CASE("a full window drops its oldest ids, and pop_back forgets the "
          "newest") {
  task_seq_window w{100}; // rounded up to 128
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(w.append(id_of(i), i));
    // Lookups between appends: the finger follows the ring's turns.
    if (i % 7 == 0)
      CHECK(
          w.find(id_of(i / 2))
          == (i / 2 >= i - 127 ? std::optional<int64_t>{i / 2} : std::nullopt));
  }
  CHECK(w.size() == 128);
  CHECK_FALSE(w.find(id_of(871)));
  for (int i = 872; i < 1000; ++i)
    CHECK(w.find(id_of(i)) == i);
  for (int i = 999; i >= 872; --i)
    CHECK(w.find(id_of(i)) == i);
  w.pop_back(10);
  CHECK(w.size() == 118);
  CHECK_FALSE(w.find(id_of(995)));
  CHECK(w.find(id_of(989)) == 989);
  // Numbers foreseen again after the forgotten ones.
  CHECK(w.append(id_of(990), 5990));
  CHECK(w.find(id_of(990)) == 5990);
  CHECK(w.find(id_of(872)) == 872);
  w.pop_back(1000);
  CHECK(w.size() == 0);
  CHECK_FALSE(w.find(id_of(950)));
  CHECK(w.append(id_of(1), 1)); // empty again: any id fits
  w.clear();
  CHECK_FALSE(w.find(id_of(1)));
}
