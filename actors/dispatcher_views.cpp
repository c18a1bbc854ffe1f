// JSON views of dispatcher_state for the client API and /metrics.

#include "actors/dispatcher_entries.hpp"
#include "actors/dispatcher_state.hpp"
#include "actors/task_views.hpp"

namespace rxon::actors {

using storage::task_state;

const storage::task_record*
dispatcher_state::find_task(const std::string& id) const {
  auto* t = find_entry(id);
  return t ? &t->rec : nullptr;
}

json::value dispatcher_state::task_json(const task_entry& t) const {
  return task_view_json(t.rec);
}

std::string dispatcher_state::job_status(const job_entry& j) const {
  std::array<int64_t, 8> counts{};
  for (size_t i = 0; i < counts.size(); ++i)
    counts[i] = j.counts[i];
  return job_status_of(counts);
}

std::optional<json::value>
dispatcher_state::job_view(const std::string& owner,
                           const std::string& job_id) const {
  auto i = jobs_.find(job_id);
  if (i == jobs_.end() || i->second->evicted > 0 || i->second->partial)
    return std::nullopt; // the store has the whole story
  const auto& j = *i->second;
  if (j.rec.owner != owner)
    return json::value{}; // exists, but not for this caller
  json::array tasks;
  tasks.reserve(j.task_seqs.size());
  for (auto seq : j.task_seqs)
    if (auto* t = tasks_.find(seq))
      tasks.push_back(task_json(*t));
  std::array<int64_t, 8> counts{};
  for (size_t k = 0; k < counts.size(); ++k)
    counts[k] = j.counts[k];
  return job_view_json(j.rec, counts, std::move(tasks));
}

std::optional<json::value>
dispatcher_state::task_view(const std::string& owner,
                            const std::string& task_id) const {
  auto* t = find_entry(task_id);
  if (!t)
    return std::nullopt;
  if (t->job->rec.owner != owner)
    return json::value{};
  return task_json(*t);
}

json::value dispatcher_state::holons_view() const {
  json::array workers;
  workers.reserve(holons_.size());
  holons_.for_each([&](const holon_entry& entry) {
    const auto* h = &entry;
    json::array skills;
    std::string_view last;
    for (const auto& s : profiles_.profile(h->profile).skills) {
      if (s.name == last)
        continue;
      last = s.name;
      skills.emplace_back(s.name);
    }
    json::array hot;
    for (const auto& s : h->hot)
      hot.emplace_back(s);
    workers.push_back(json::object{{"worker_id", h->id},
                                   {"worker_type", h->worker_type},
                                   {"status", h->status},
                                   {"load", static_cast<int64_t>(h->load)},
                                   {"reputation", h->reputation},
                                   {"skills", std::move(skills)},
                                   {"hot_skills", std::move(hot)},
                                   {"capacity", h->capacity},
                                   {"last_seen_ms", h->last_seen_ms}});
  });
  return json::object{{"workers", std::move(workers)}};
}

dispatch_stats dispatcher_state::stats() const {
  dispatch_stats s;
  s.tasks_by_state = state_counts_;
  for (const auto& q : queues_)
    s.queued += static_cast<int64_t>(q.pending.size());
  s.parked_polls = static_cast<int64_t>(parked_.size());
  s.holons = static_cast<int64_t>(holons_.size());
  s.dispatched = dispatched_;
  s.latency_counts = latency_counts_;
  s.latency_sum_ms = latency_sum_ms_;
  return s;
}

} // namespace rxon::actors
