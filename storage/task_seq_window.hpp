#pragma once

// The task_seq of recently put tasks (private to storage/), so that a state
// write keys task_states by it instead of seeking task_base's task_id index.
// Minted task ids sort in submission order, and tasks are dispatched by
// priority, then age: ids arrive in increasing order and are looked up in
// nearly that order. A sorted window searched outward from the last hit
// keeps that locality; a hash table lost it (a cache miss per lookup cost
// more than the index seek it saved).

#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace rxon::storage::sqlite {

class task_seq_window {
public:
  /// Keeps at most `capacity` entries (rounded up to a power of two),
  /// dropping the oldest. Memory grows with use, up to 24 bytes each.
  explicit task_seq_window(std::size_t capacity = std::size_t{1} << 18);

  /// Remembers `id` as `seq` if it sorts after every id held and fits an
  /// entry (1 to 15 bytes); otherwise remembers nothing. True if kept.
  bool append(std::string_view id, int64_t seq);
  /// The seq of `id`, if held.
  std::optional<int64_t> find(std::string_view id) noexcept;
  /// Forgets the `n` newest entries (at most all).
  void pop_back(std::size_t n) noexcept;
  void clear() noexcept;
  std::size_t size() const noexcept { return size_; }

private:
  /// An id's bytes padded with NULs, then its length, read as two
  /// big-endian integers: their order is the ids' order (ties in the
  /// padded bytes leave one id a prefix of the other, the shorter first).
  struct key {
    uint64_t high;
    uint64_t low;
    friend auto operator<=>(const key&, const key&) = default;
  };
  struct entry {
    key id;
    int64_t seq;
  };
  static std::optional<key> key_of(std::string_view id) noexcept;
  /// The i-th entry held, oldest first.
  entry& at(std::size_t i) noexcept {
    return ring_[(head_ + i) & (ring_.size() - 1)];
  }

  std::size_t capacity_;
  /// A ring of a power-of-two size, doubled as needed up to capacity_;
  /// sorted by id from head_ on.
  std::vector<entry> ring_;
  std::size_t head_ = 0;   ///< the oldest entry held
  std::size_t size_ = 0;   ///< entries held
  std::size_t finger_ = 0; ///< where the last search ended (from head_)
};

} // namespace rxon::storage::sqlite
