#include "runtime/simulate/quad_heap.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <utility>
#include <vector>

using rxon::runtime::simulate::quad_heap;

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
