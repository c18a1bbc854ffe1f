#include "actors/id_index.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <random>
#include <set>
#include <string>

using rxon::actors::id_index;

namespace {

struct entry {
  std::string id;
  int value = 0;
};

} // namespace

TEST_CASE("the id index finds every entry it holds after any mix of adds "
          "and erases") {
  id_index<entry> idx;
  std::set<std::string> live;
  std::mt19937 rng{3};
  for (int step = 0; step < 50'000; ++step) {
    std::string id = "h";
    id += std::to_string(rng() % 5'000);
    if (rng() % 3 == 0) {
      idx.erase(id);
      live.erase(id);
    } else {
      auto& e = idx.find_or_add(id, [&] {
        auto made = std::make_unique<entry>();
        made->id = id;
        return made;
      });
      CHECK(e.id == id);
      ++e.value;
      live.insert(id);
    }
    if (step % 5'000 == 0 || step == 49'999) {
      // Every live id is found, every erased one is not.
      CHECK(idx.size() == live.size());
      for (int k = 0; k < 5'000; ++k) {
        std::string key = "h";
        key += std::to_string(k);
        auto* found = idx.find(key);
        REQUIRE((found != nullptr) == (live.count(key) > 0));
        if (found)
          CHECK(found->id == key);
      }
    }
  }
  std::size_t seen = 0;
  idx.for_each([&](const entry& e) {
    CHECK(live.count(e.id) == 1);
    ++seen;
  });
  CHECK(seen == live.size());
  idx.erase("not there"); // nothing happens
  CHECK(idx.size() == live.size());
}

TEST_CASE("adding an id that is already there keeps its entry") {
  id_index<entry> idx;
  int made = 0;
  auto make = [&] {
    ++made;
    auto e = std::make_unique<entry>();
    e->id.assign(1, 'a'); // not = "a": GCC 12 warns falsely (-Wrestrict)
    return e;
  };
  idx.find_or_add("a", make).value = 7;
  CHECK(idx.find_or_add("a", make).value == 7);
  CHECK(made == 1);
  CHECK(idx.find("b") == nullptr);
}
