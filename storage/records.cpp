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
  // insert() grows geometrically; an exact reserve() per append would make
  // a group of many small batches quadratic.
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

task_update task_update::of(const task_record& t) {
  return {t.task_id,          t.state,         t.attempts, t.holon_id,
          t.lease_expiry_ms,  t.not_before_ms, t.result,   t.error,
          t.origin_worker_id, t.updated_ms};
}

void task_update::apply_to(task_record& t) && {
  t.state = state;
  t.attempts = attempts;
  t.holon_id = std::move(holon_id);
  t.lease_expiry_ms = lease_expiry_ms;
  t.not_before_ms = not_before_ms;
  t.result = std::move(result);
  t.error = std::move(error);
  t.origin_worker_id = std::move(origin_worker_id);
  t.updated_ms = updated_ms;
}

void task_update::apply_to(task_record& t) const& {
  t.state = state;
  t.attempts = attempts;
  t.holon_id = holon_id;
  t.lease_expiry_ms = lease_expiry_ms;
  t.not_before_ms = not_before_ms;
  t.result = result;
  t.error = error;
  t.origin_worker_id = origin_worker_id;
  t.updated_ms = updated_ms;
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
  // Task updates apply after task puts: an update here followed by a put
  // of the same task in `other` would otherwise win over that put.
  if (!task_updates.empty() && !other.tasks.empty()) {
    std::unordered_set<std::string_view> put;
    for (const auto& t : other.tasks)
      put.insert(t.task_id);
    std::erase_if(task_updates, [&](const task_update& u) {
      return put.count(u.task_id) > 0;
    });
  }
  move_append(jobs, other.jobs);
  move_append(tasks, other.tasks);
  move_append(task_updates, other.task_updates);
  move_append(finished_jobs, other.finished_jobs);
  move_append(holons, other.holons);
  move_append(removed_holons, other.removed_holons);
  move_append(events, other.events);
  other = change_batch{};
}

} // namespace rxon::storage
