#pragma once

// Entries owned by their string id, in one open-addressing table of
// (hash, entry) slots: a lookup reads one slot and then the entry, where a
// node-based unordered_map reads a bucket, a node and then the entry.
// Every poll looks its holon up by id, and at a million holons each of
// those reads is a cache miss. The key is the entry's own `id` member.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace rxon::actors {

template <class T>
class id_index {
public:
  std::size_t size() const noexcept { return size_; }

  T* find(std::string_view id) const noexcept {
    if (slots_.empty())
      return nullptr;
    auto h = hash(id);
    for (auto i = h & mask(); slots_[i].entry; i = (i + 1) & mask())
      if (slots_[i].hash == h && slots_[i].entry->id == id)
        return slots_[i].entry.get();
    return nullptr;
  }

  /// The entry under `id`, made by `make()` (which must set its id) when
  /// there is none.
  template <class Make>
  T& find_or_add(std::string_view id, Make make) {
    if (auto* e = find(id))
      return *e;
    if (2 * (size_ + 1) > slots_.size())
      grow();
    std::unique_ptr<T> e = make();
    auto& out = *e;
    place(hash(id), std::move(e));
    ++size_;
    return out;
  }

  /// Destroys the entry under `id` (if any).
  void erase(std::string_view id) {
    if (slots_.empty())
      return;
    auto h = hash(id);
    auto i = h & mask();
    for (; slots_[i].entry; i = (i + 1) & mask())
      if (slots_[i].hash == h && slots_[i].entry->id == id)
        break;
    if (!slots_[i].entry)
      return;
    slots_[i] = {};
    --size_;
    // Backward-shift deletion: pull later members of the probe run into
    // the hole so that no lookup stops early (no tombstones).
    for (auto j = (i + 1) & mask(); slots_[j].entry; j = (j + 1) & mask()) {
      auto home = slots_[j].hash & mask();
      bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        slots_[i] = std::move(slots_[j]);
        i = j;
      }
    }
  }

  template <class F>
  void for_each(F&& f) const {
    for (const auto& s : slots_)
      if (s.entry)
        f(*s.entry);
  }

private:
  struct slot {
    uint64_t hash = 0;
    std::unique_ptr<T> entry;
  };

  static uint64_t hash(std::string_view id) noexcept {
    return std::hash<std::string_view>{}(id);
  }
  std::size_t mask() const noexcept { return slots_.size() - 1; }

  void place(uint64_t h, std::unique_ptr<T> e) {
    auto i = h & mask();
    while (slots_[i].entry)
      i = (i + 1) & mask();
    slots_[i] = {h, std::move(e)};
  }

  void grow() {
    auto old = std::move(slots_);
    slots_ = std::vector<slot>(old.empty() ? 16 : 2 * old.size());
    for (auto& s : old)
      if (s.entry)
        place(s.hash, std::move(s.entry));
  }

  std::vector<slot> slots_; ///< size a power of two, at most half full
  std::size_t size_ = 0;
};

} // namespace rxon::actors
