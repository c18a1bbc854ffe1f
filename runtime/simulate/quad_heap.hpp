#pragma once

// A 4-ary min-heap: the simulator's event queue holds about one event per
// holon (a million at scale), and a pop sifts through half the levels of
// a binary heap, each level a likely cache miss.

#include <cstddef>
#include <vector>

namespace rxon::runtime::simulate {

/// Smallest first by `Before` (a strict weak order).
template <class T, class Before>
class quad_heap {
public:
  bool empty() const noexcept { return items_.empty(); }
  std::size_t size() const noexcept { return items_.size(); }
  const T& top() const noexcept { return items_.front(); }

  void push(const T& x) {
    items_.push_back(x);
    auto i = items_.size() - 1;
    while (i > 0) {
      auto parent = (i - 1) / arity;
      if (!before_(x, items_[parent]))
        break;
      items_[i] = items_[parent];
      i = parent;
    }
    items_[i] = x;
  }

  void pop() {
    auto x = items_.back();
    items_.pop_back();
    if (items_.empty())
      return;
    std::size_t i = 0;
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

private:
  static constexpr std::size_t arity = 4;
  std::vector<T> items_;
  [[no_unique_address]] Before before_;
};

} // namespace rxon::runtime::simulate
