#include "storage/records.hpp"

#include <array>
#include <unordered_set>

namespace rxon::storage {

namespace {

constexpr std::array<const char*, 8> state_names = {
    "pending", "assigned",  "running", "success",
    "failure", "cancelled", "timeout", "quarantined",
};

template <class T>
void move_append(std::vector<T>& dst, std::vector<T>& src) {
  if (dst.empty()) {
    dst = std::move(src);
    return;
  }
  dst.reserve(dst.size() + src.size());
  for (auto& x : src)
    dst.push_back(std::move(x));
}

} // namespace

const char* to_string(task_state s) noexcept {
  auto i = static_cast<std::size_t>(s);
  return i < state_names.size() ? state_names[i] : "invalid";
}

std::optional<task_state> parse_task_state(std::string_view s) noexcept {
  for (std::size_t i = 0; i < state_names.size(); ++i)
    if (s == state_names[i])
      return static_cast<task_state>(i);
  return std::nullopt;
}

// Appending keeps the meaning of applying `*this` and then `other`. Stores
// apply holon puts before holon removals, so a put that follows a removal
// cancels the removal and a removal that follows a put drops the put. Both
// are rare, hence the sets are built only when needed.
void change_batch::append(change_batch&& other) {
  if (!other.holons.empty() && !removed_holons.empty()) {
    std::unordered_set<std::string_view> put;
    for (const auto& h : other.holons)
      put.insert(h.holon_id);
    std::erase_if(removed_holons,
                  [&](const std::string& id) { return put.count(id) > 0; });
  }
  if (!other.removed_holons.empty() && !holons.empty()) {
    std::unordered_set<std::string_view> gone(other.removed_holons.begin(),
                                              other.removed_holons.end());
    std::erase_if(holons, [&](const holon_record& h) {
      return gone.count(h.holon_id) > 0;
    });
  }
  move_append(jobs, other.jobs);
  move_append(tasks, other.tasks);
  move_append(holons, other.holons);
  move_append(removed_holons, other.removed_holons);
  move_append(events, other.events);
  other = change_batch{};
}

} // namespace rxon::storage
