#include "actors/entry_pool.hpp"
#include "actors/seq_table.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using rxon::actors::entry_pool;
using rxon::actors::seq_table;

namespace {

int alive = 0; // entries constructed and not yet destroyed

/// An entry of about a task entry's size, counting its lifetimes.
struct entry {
  explicit entry(int v, bool fail = false) : value(v) {
    if (fail)
      throw std::runtime_error("constructor failed");
    ++alive;
  }
  ~entry() { --alive; }
  entry(const entry&) = delete;
  entry& operator=(const entry&) = delete;
  int value;
  std::string text = std::string(40, 'x'); // on the heap: must be freed
  char pad[400] = {};
};

using pool = entry_pool<entry>;

} // namespace

TEST_CASE("an entry pool packs entries into chunks and reuses freed slots") {
  alive = 0;
  pool p;
  const auto per_chunk = pool::slots_per_chunk();
  REQUIRE(per_chunk >= 500); // ~450-byte entries in 256 KiB
  std::vector<pool::ptr> v;
  std::set<uintptr_t> addresses;
  for (std::size_t i = 0; i < per_chunk + 1; ++i) {
    v.push_back(p.make(static_cast<int>(i)));
    auto a = reinterpret_cast<uintptr_t>(v.back().get());
    CHECK(a % alignof(std::max_align_t) == 0);
    addresses.insert(a);
  }
  CHECK(addresses.size() == per_chunk + 1); // no slot handed out twice
  CHECK(p.chunks() == 2);
  CHECK(p.live() == per_chunk + 1);
  CHECK(alive == static_cast<int>(per_chunk + 1));
  for (std::size_t i = 0; i < v.size(); ++i)
    CHECK(v[i]->value == static_cast<int>(i));
  // A freed slot is the next one handed out.
  auto* freed = v[7].get();
  v[7].reset();
  CHECK(alive == static_cast<int>(per_chunk));
  v[7] = p.make(-7);
  CHECK(v[7].get() == freed);
  CHECK(v[7]->value == -7);
  CHECK(p.chunks() == 2);
  v.clear();
  CHECK(alive == 0);
  CHECK(p.live() == 0);
  CHECK(p.chunks() == 1); // one emptied chunk kept spare, the other unmapped
}

TEST_CASE("an entry pool returns chunks that empty out, as tasks finish in "
          "about the order they came") {
  alive = 0;
  pool p;
  const auto per_chunk = pool::slots_per_chunk();
  seq_table<entry, pool::deleter> table;
  uint64_t next = 1, oldest = 1;
  std::size_t most_chunks = 0;
  // A window of ~3 chunks of live entries slides over 20 chunks' worth.
  for (std::size_t i = 0; i < 20 * per_chunk; ++i) {
    table.insert(next, p.make(static_cast<int>(next)));
    ++next;
    if (table.size() > 3 * per_chunk)
      table.erase(oldest++);
    most_chunks = std::max(most_chunks, p.chunks());
  }
  CHECK(most_chunks <= 6); // live entries, a partial chunk and the spare
  CHECK(table.size() == 3 * per_chunk);
  CHECK(table.find(oldest)->value == static_cast<int>(oldest));
  CHECK(table.find(next - 1)->value == static_cast<int>(next - 1));
  while (oldest < next)
    table.erase(oldest++);
  CHECK(alive == 0);
  CHECK(p.chunks() == 1);
}

TEST_CASE("an entry pool gives the slot back when a constructor throws") {
  alive = 0;
  pool p;
  auto first = p.make(1);
  auto probe = p.make(9);
  auto* where = probe.get();
  probe.reset(); // `where` is now the first free slot
  CHECK_THROWS_AS(p.make(2, true), std::runtime_error);
  CHECK(p.live() == 1);
  CHECK(alive == 1);
  auto again = p.make(3); // the failed constructor's slot came back
  CHECK(again.get() == where);
  CHECK(again->value == 3);
  CHECK(p.live() == 2);
  p.destroy(nullptr); // nothing happens
  again.reset();
  first.reset();
  CHECK(alive == 0);
  CHECK(p.live() == 0);
}
