#pragma once

// Owns entries keyed by a sequence number that only grows: a window
// indexed by `seq - base` (no hashing, no node per entry, neighbours in
// submission order share cache lines). The dispatcher keeps its tasks here;
// finished ones leave in roughly the order they came, so the window slides.
// One long-lived entry at the front would pin a slot for every later
// number, so when the window gets sparse its front entries move to a side
// map: memory stays proportional to the live entries.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>

namespace rxon::actors {

template <class T, class Deleter = std::default_delete<T>>
class seq_table {
public:
  using owner = std::unique_ptr<T, Deleter>;

  std::size_t size() const noexcept { return live_; }

  T* find(uint64_t seq) const noexcept {
    if (seq >= base_ && seq - base_ < window_.size())
      if (auto* e = window_[seq - base_].get())
        return e;
    if (far_.empty())
      return nullptr;
    auto i = far_.find(seq);
    return i == far_.end() ? nullptr : i->second.get();
  }

  /// Where the window keeps `seq`'s entry pointer (null when outside it),
  /// for prefetching.
  const void* slot_address(uint64_t seq) const noexcept {
    if (seq >= base_ && seq - base_ < window_.size())
      return &window_[seq - base_];
    return nullptr;
  }

  /// Takes `entry` under `seq`, which should exceed every seq inserted
  /// before (an older one goes to the side map).
  T& insert(uint64_t seq, owner entry) {
    auto& out = *entry;
    ++live_;
    if (window_.empty())
      base_ = seq;
    if (seq < base_ + window_.size()) { // out of order: keep it aside
      far_.emplace(seq, std::move(entry));
      return out;
    }
    window_.resize(seq - base_ + 1);
    window_.back() = std::move(entry);
    ++in_window_;
    return out;
  }

  /// Destroys the entry under `seq` (if any).
  void erase(uint64_t seq) {
    if (seq >= base_ && seq - base_ < window_.size()) {
      auto& slot = window_[seq - base_];
      if (slot) {
        slot.reset();
        --live_;
        --in_window_;
        slide();
        return;
      }
    }
    if (far_.erase(seq) > 0)
      --live_;
  }

private:
  /// Drops empty slots at the front; moves front entries aside while the
  /// window is mostly holes (each entry moves at most once: amortised O(1)).
  void slide() {
    while (!window_.empty()
           && (!window_.front() || window_.size() > 2 * in_window_ + 4096)) {
      if (window_.front()) {
        far_.emplace(base_, std::move(window_.front()));
        --in_window_;
      }
      window_.pop_front();
      ++base_;
    }
  }

  std::deque<owner> window_;
  uint64_t base_ = 0;
  std::unordered_map<uint64_t, owner> far_;
  std::size_t live_ = 0;
  std::size_t in_window_ = 0;
};

} // namespace rxon::actors
