#include "storage/records.hpp"

#include <array>
#include <unordered_set>

namespace rxon::storage {

namespace {

constexpr std::array<const char*, 8> state_names = {
    "pending", "assigned",  "running", "success",
    "failure", "cancelled", "timeout", "quarantined",
};

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

namespace {

template <class T>
void add_pointers(std::vector<const T*>& dst, const std::vector<T>& src) {
  for (const auto& x : src)
    dst.push_back(&x);
}

template <class T>
std::vector<T> copies(const std::vector<const T*>& ptrs) {
  std::vector<T> out;
  out.reserve(ptrs.size());
  for (const auto* p : ptrs)
    out.push_back(*p);
  return out;
}

} // namespace

// A group keeps the meaning of applying its batches in turn. Stores apply
// holon puts before holon removals, so a put that follows a removal cancels
// the removal and a removal that follows a put drops the put; a put of a
// task drops the earlier updates of that task. All are rare, hence the sets
// are built only when needed.
void change_group::add(const change_batch& b) {
  if (!b.holons.empty() && !removed_holons.empty()) {
    std::unordered_set<std::string_view> put;
    for (const auto& h : b.holons)
      put.insert(h.holon_id);
    std::erase_if(removed_holons,
                  [&](const std::string* id) { return put.count(*id) > 0; });
  }
  if (!b.removed_holons.empty() && !holons.empty()) {
    std::unordered_set<std::string_view> gone(b.removed_holons.begin(),
                                              b.removed_holons.end());
    std::erase_if(holons, [&](const holon_record* h) {
      return gone.count(h->holon_id) > 0;
    });
  }
  if (!task_updates.empty() && !b.tasks.empty()) {
    std::unordered_set<std::string_view> put;
    for (const auto& t : b.tasks)
      put.insert(t.task_id);
    std::erase_if(task_updates, [&](const task_update* u) {
      return put.count(u->task_id) > 0;
    });
  }
  add_pointers(jobs, b.jobs);
  add_pointers(tasks, b.tasks);
  add_pointers(task_updates, b.task_updates);
  add_pointers(finished_jobs, b.finished_jobs);
  add_pointers(holons, b.holons);
  add_pointers(removed_holons, b.removed_holons);
  add_pointers(events, b.events);
}

change_batch change_group::materialize() const {
  return {.jobs = copies(jobs),
          .tasks = copies(tasks),
          .task_updates = copies(task_updates),
          .finished_jobs = copies(finished_jobs),
          .holons = copies(holons),
          .removed_holons = copies(removed_holons),
          .events = copies(events)};
}

} // namespace rxon::storage
