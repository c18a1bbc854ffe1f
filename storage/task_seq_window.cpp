#include "storage/task_seq_window.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace rxon::storage::sqlite {

task_seq_window::task_seq_window(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)) {}

std::optional<task_seq_window::key>
task_seq_window::key_of(std::string_view id) noexcept {
  unsigned char bytes[16] = {};
  if (id.empty() || id.size() >= sizeof bytes)
    return std::nullopt;
  std::memcpy(bytes, id.data(), id.size());
  bytes[15] = static_cast<unsigned char>(id.size());
  uint64_t high = 0;
  uint64_t low = 0;
  std::memcpy(&high, bytes, 8);
  std::memcpy(&low, bytes + 8, 8);
  if constexpr (std::endian::native == std::endian::little) {
    high = __builtin_bswap64(high);
    low = __builtin_bswap64(low);
  }
  return key{high, low};
}

bool task_seq_window::append(std::string_view id, int64_t seq) {
  auto k = key_of(id);
  if (!k || (size() > 0 && *k <= entries_.back().id))
    return false;
  if (size() == capacity_) {
    ++first_;
    // Compact once the dropped part is as large as the held one: each
    // entry moves at most once per capacity appends.
    if (first_ >= capacity_) {
      entries_.erase(entries_.begin(),
                     entries_.begin() + static_cast<std::ptrdiff_t>(first_));
      finger_ = finger_ > first_ ? finger_ - first_ : 0;
      first_ = 0;
    }
  }
  entries_.push_back({*k, seq});
  return true;
}

std::optional<int64_t> task_seq_window::find(std::string_view id) noexcept {
  auto k = key_of(id);
  const std::size_t end = entries_.size();
  if (!k || first_ == end || *k > entries_.back().id)
    return std::nullopt; // a new task sorts after every id held
  auto before = [&](std::size_t i) { return entries_[i].id < *k; };
  // Gallop from the finger to a range [lo, hi) whose lower bound is the
  // key's, then bisect it.
  std::size_t f = std::clamp(finger_, first_, end - 1);
  std::size_t lo = first_;
  std::size_t hi = end;
  if (before(f)) {
    lo = f + 1;
    for (std::size_t step = 1; lo + step - 1 < end; step *= 2) {
      if (!before(lo + step - 1)) {
        hi = lo + step - 1;
        break;
      }
      lo += step;
    }
  } else {
    hi = f;
    for (std::size_t step = 1; hi >= first_ + step; step *= 2) {
      if (before(hi - step)) {
        lo = hi - step + 1;
        break;
      }
      hi -= step;
    }
  }
  auto at
      = std::partition_point(entries_.begin() + static_cast<std::ptrdiff_t>(lo),
                             entries_.begin() + static_cast<std::ptrdiff_t>(hi),
                             [&](const entry& e) { return e.id < *k; });
  const auto i = static_cast<std::size_t>(at - entries_.begin());
  finger_ = i;
  if (i == end || entries_[i].id != *k)
    return std::nullopt;
  return entries_[i].seq;
}

void task_seq_window::pop_back(std::size_t n) noexcept {
  const auto keep = size() - std::min(n, size());
  entries_.resize(first_ + keep);
  if (keep == 0)
    clear();
}

void task_seq_window::clear() noexcept {
  entries_.clear();
  first_ = 0;
  finger_ = 0;
}

} // namespace rxon::storage::sqlite
