#include "actors/quad_heap.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <utility>
#include <vector>

using rxon::actors::quad_heap;

TEST_CASE("the quad heap gives its items back smallest first, ties in the "
          "order the comparison says") {
  // (time, seq) pairs as the simulator's events: many equal times.
  using item = std::pair<int, int>;
  quad_heap<item, std::less<item>> heap;
  std::mt19937 rng{7};
  std::vector<item> all;
  for (int seq = 0; seq < 5'000; ++seq) {
    item x{static_cast<int>(rng() % 100), seq};
    all.push_back(x);
    heap.push(x);
    if (seq % 3 == 0) { // interleaved pops, as events run while scheduled
      auto smallest = *std::min_element(all.begin(), all.end());
      REQUIRE(heap.top() == smallest);
      all.erase(std::find(all.begin(), all.end(), smallest));
      heap.pop();
    }
  }
  std::sort(all.begin(), all.end());
  CHECK(heap.size() == all.size());
  for (const auto& x : all) {
    REQUIRE_FALSE(heap.empty());
    CHECK(heap.top() == x);
    heap.pop();
  }
  CHECK(heap.empty());
}

TEST_CASE("the quad heap drops what keep_if rejects and stays in order") {
  quad_heap<int, std::less<int>> heap;
  for (int i = 1000; i > 0; --i)
    heap.push(i);
  heap.keep_if([](int x) { return x % 7 == 0; });
  CHECK(heap.size() == 142);
  for (int want = 7; want <= 994; want += 7) {
    REQUIRE_FALSE(heap.empty());
    CHECK(heap.top() == want);
    heap.pop();
  }
  CHECK(heap.empty());
}
