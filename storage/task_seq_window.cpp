#include "storage/task_seq_window.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace rxon::storage::sqlite {

task_seq_window::task_seq_window(std::size_t capacity)
    : capacity_(std::bit_ceil(std::max<std::size_t>(capacity, 1))) {}

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
  if (!k || (size_ > 0 && *k <= at(size_ - 1).id))
    return false;
  if (size_ == ring_.size() && ring_.size() < capacity_) {
    // Grow: the entries move to the start of a ring twice as large.
    std::vector<entry> bigger(
        std::min(capacity_, std::max<std::size_t>(ring_.size() * 2, 64)));
    for (std::size_t i = 0; i < size_; ++i)
      bigger[i] = at(i);
    ring_ = std::move(bigger);
    head_ = 0;
  }
  if (size_ == ring_.size()) { // full: the new entry takes the oldest's place
    ring_[head_] = {*k, seq};
    head_ = (head_ + 1) & (ring_.size() - 1);
    finger_ = finger_ > 0 ? finger_ - 1 : 0;
    return true;
  }
  at(size_++) = {*k, seq};
  return true;
}

std::optional<int64_t> task_seq_window::find(std::string_view id) noexcept {
  auto k = key_of(id);
  if (!k || size_ == 0 || *k > at(size_ - 1).id)
    return std::nullopt; // a new task sorts after every id held
  auto before = [&](std::size_t i) { return at(i).id < *k; };
  // Gallop from the finger to a range [lo, hi) holding the first entry not
  // before the key, then bisect it.
  const std::size_t f = std::min(finger_, size_ - 1);
  std::size_t lo = 0;
  std::size_t hi = size_;
  if (before(f)) {
    lo = f + 1;
    for (std::size_t step = 1; lo + step - 1 < size_; step *= 2) {
      if (!before(lo + step - 1)) {
        hi = lo + step - 1;
        break;
      }
      lo += step;
    }
  } else {
    hi = f;
    for (std::size_t step = 1; hi >= step; step *= 2) {
      if (before(hi - step)) {
        lo = hi - step + 1;
        break;
      }
      hi -= step;
    }
  }
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (before(mid))
      lo = mid + 1;
    else
      hi = mid;
  }
  finger_ = lo;
  if (lo == size_ || at(lo).id != *k)
    return std::nullopt;
  return at(lo).seq;
}

void task_seq_window::pop_back(std::size_t n) noexcept {
  size_ -= std::min(n, size_);
}

void task_seq_window::clear() noexcept {
  size_ = 0;
  head_ = 0;
  finger_ = 0;
}

} // namespace rxon::storage::sqlite
