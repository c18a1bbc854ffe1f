#include "actors/task_views.hpp"

namespace rxon::actors {

using storage::task_state;

json::value task_view_json(const storage::task_record& t) {
  json::object o{{"task_id", t.task_id},
                 {"job_id", t.job_id},
                 {"type", t.type},
                 {"state", storage::to_string(t.state)},
                 {"attempts", static_cast<int64_t>(t.attempts)},
                 {"max_attempts", static_cast<int64_t>(t.max_attempts)},
                 {"priority", t.priority},
                 {"params", t.params},
                 {"created_ms", t.created_ms},
                 {"updated_ms", t.updated_ms}};
  if (!t.holon_id.empty())
    o.set("worker_id", t.holon_id);
  if (t.deadline_ms)
    o.set("deadline", *t.deadline_ms / 1000);
  if (storage::is_terminal(t.state)) {
    o.set("result", t.result);
    o.set("error", t.error);
    if (!t.origin_worker_id.empty())
      o.set("origin_worker_id", t.origin_worker_id);
  }
  return o;
}

std::string job_status_of(const std::array<int64_t, 8>& c) {
  auto n = [&](task_state s) { return c[static_cast<size_t>(s)]; };
  auto open = n(task_state::pending) + n(task_state::assigned)
              + n(task_state::running);
  if (open > 0)
    return n(task_state::assigned) + n(task_state::running) > 0 ? "running"
                                                                : "pending";
  if (n(task_state::quarantined) > 0)
    return "quarantined";
  if (n(task_state::failure) + n(task_state::timeout) > 0)
    return "failed";
  if (n(task_state::cancelled) > 0)
    return "cancelled";
  return "finished";
}

json::value job_view_json(const storage::job_record& job,
                          const std::array<int64_t, 8>& counts,
                          json::array tasks) {
  json::object by_state;
  for (size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > 0)
      by_state.set(storage::to_string(static_cast<task_state>(i)), counts[i]);
  return json::object{
      {"job_id", job.job_id},          {"status", job_status_of(counts)},
      {"counts", std::move(by_state)}, {"tasks", std::move(tasks)},
      {"metadata", job.metadata},      {"created_ms", job.created_ms}};
}

result<json::value> task_events_json(storage::store& store,
                                     const std::string& owner,
                                     const std::string& task_id) {
  error missing{errc::not_found, "task '" + task_id + "' not found"};
  auto t = store.task(task_id);
  if (!t)
    return t.error();
  if (!*t)
    return missing;
  auto j = store.job((*t)->job_id);
  if (!j)
    return j.error();
  if (!*j || (*j)->owner != owner)
    return missing;
  auto events = store.events(task_id);
  if (!events)
    return events.error();
  json::array out;
  for (const auto& e : *events) {
    if (e.kind.rfind("worker_event:", 0) != 0 || !e.data.is_object())
      continue;
    auto view = e.data.as_object();
    view.set("ts_ms", e.ts_ms);
    view.set("sender", e.holon_id);
    out.push_back(std::move(view));
  }
  return json::value{
      json::object{{"task_id", task_id}, {"events", std::move(out)}}};
}

} // namespace rxon::actors
