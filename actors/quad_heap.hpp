#pragma once

// A 4-ary min-heap: half the depth of a binary heap, so a pop sifts
// through half the levels, each a likely cache miss when the heap holds
// millions (the dispatcher's pending queues, the simulator's events).

#include <algorithm>
#include <cstddef>
#include <vector>

namespace rxon::actors {

/// Smallest first by `Before` (a strict weak order).
template <class T, class Before>
class quad_heap {
public:
  bool empty() const noexcept { return items_.empty(); }
  std::size_t size() const noexcept { return items_.size(); }
  const T& top() const noexcept { return items_.front(); }

  void push(const T& x) {
    items_.push_back(x);
    sift_up(items_.size() - 1);
  }

  void pop() {
    items_.front() = items_.back();
    items_.pop_back();
    if (!items_.empty())
      sift_down(0);
  }

  void clear() noexcept { items_.clear(); }

  /// Keeps the items `keep` accepts, in O(n).
  template <class Keep>
  void keep_if(Keep keep) {
    std::erase_if(items_, [&](const T& x) { return !keep(x); });
    for (auto i = items_.size() / arity + 1; i-- > 0;)
      if (i < items_.size())
        sift_down(i);
  }

private:
  static constexpr std::size_t arity = 4;

  void sift_up(std::size_t i) {
    auto x = items_[i];
    while (i > 0) {
      auto parent = (i - 1) / arity;
      if (!before_(x, items_[parent]))
        break;
      items_[i] = items_[parent];
      i = parent;
    }
    items_[i] = x;
  }

  void sift_down(std::size_t i) {
    auto x = items_[i];
    auto n = items_.size();
    for (;;) {
      auto first = arity * i + 1;
      if (first >= n)
        break;
      auto best = first;
      auto last = first + arity < n ? first + arity : n;
      for (auto c = first + 1; c < last; ++c)
        if (before_(items_[c], items_[best]))
          best = c;
      if (!before_(items_[best], x))
        break;
      items_[i] = items_[best];
      i = best;
    }
    items_[i] = x;
  }

  std::vector<T> items_;
  [[no_unique_address]] Before before_;
};

} // namespace rxon::actors
