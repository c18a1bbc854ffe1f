// The client side of dispatcher_state: job submission and cancellation.

#include "actors/dispatcher_entries.hpp"
#include "actors/dispatcher_state.hpp"
#include "protocol/codec.hpp"
#include "protocol/identifiers.hpp"

#include <cmath>
#include <string>

namespace rxon::actors {

using storage::task_state;

namespace {

/// A shared part of a task spec as a requirement holds it.
template <class T>
std::optional<T> copy_of(const std::shared_ptr<const T>& p) {
  return p ? std::optional<T>{*p} : std::nullopt;
}

} // namespace

result<job_ack> dispatcher_state::submit(job_spec spec, int64_t now,
                                         effects& fx) {
  if (spec.tasks.empty())
    return error{errc::invalid_value, "tasks: at least one task is required"};
  if (spec.tasks.size() > cfg_.max_tasks_per_job)
    return error{errc::out_of_range,
                 "tasks: at most " + std::to_string(cfg_.max_tasks_per_job)
                     + " tasks per job"};
  for (std::size_t i = 0; i < spec.tasks.size(); ++i) {
    const auto& ts = spec.tasks[i];
    auto where = "tasks[" + std::to_string(i) + "]";
    if (!is_valid_identifier(ts.type))
      return error{errc::invalid_value,
                   where + ".type: invalid identifier '" + ts.type + "'"};
    if (ts.max_attempts < 1)
      return error{errc::invalid_value, where + ".max_attempts: must be >= 1"};
    if (!std::isfinite(ts.priority))
      return error{errc::invalid_value, where + ".priority: must be finite"};
    if (auto st = json::check_encodable(ts.params); !st)
      return error{st.error().code, where + ".params: " + st.error().message};
  }
  job_ack ack;
  ack.job_id = format_id(next_id(now, next_seq_++));
  auto job = std::make_unique<job_entry>();
  job->rec.job_id = ack.job_id;
  job->rec.owner = spec.owner;
  job->rec.metadata = std::move(spec.metadata);
  job->rec.created_ms = now;
  job->watched = !cfg_.watch_owner.empty() && spec.owner == cfg_.watch_owner;
  if (cfg_.record_changes)
    fx.changes.jobs.push_back(job->rec);
  auto& j = *job;
  jobs_.emplace(ack.job_id, std::move(job));
  std::vector<task_entry*> created;
  created.reserve(spec.tasks.size());
  ack.task_ids.reserve(spec.tasks.size());
  for (auto& ts : spec.tasks) {
    auto t = new_task();
    auto id = next_id(now, next_seq_++);
    t->seq = id.seq;
    t->id_ms = id.ms;
    t->id_tail = id.tail;
    t->rec.task_id = format_id(id);
    t->rec.job_id = ack.job_id;
    t->rec.type = ts.type;
    t->rec.params = std::move(ts.params);
    t->rec.priority = ts.priority;
    if (ts.deadline)
      t->rec.deadline_ms = *ts.deadline * 1000;
    t->rec.max_cost = ts.max_cost;
    t->rec.max_attempts = ts.max_attempts;
    t->rec.created_ms = now;
    // Most tasks share a class already known: looked up in place, copied
    // only for a new class.
    auto known = profiles_.find(requirement_ref{ts.type, ts.requirements.get(),
                                                ts.skill.get(), ts.artifacts,
                                                ts.max_cost});
    t->cls = known
                 ? *known
                 : profiles_.intern(
                     requirement{ts.type, copy_of(ts.requirements),
                                 copy_of(ts.skill), ts.artifacts, ts.max_cost},
                     {ts.requirements, ts.skill});
    add_class(t->cls);
    // Encoded once per class; the class holds them for its tasks.
    auto& cj = queues_[t->cls];
    if (!cj.encoded) {
      if (ts.requirements)
        cj.requirements_json = to_json(*ts.requirements);
      if (ts.skill)
        cj.skill_json = to_json(*ts.skill);
      cj.encoded = true;
    }
    t->job = &j;
    ack.task_ids.push_back(t->rec.task_id);
    j.task_seqs.push_back(t->seq);
    ++state_counts_[static_cast<size_t>(task_state::pending)];
    ++j.counts[static_cast<size_t>(task_state::pending)];
    created.push_back(&add_task(std::move(t)));
  }
  // One allocation for the job's task records, not a doubling series that
  // moves ~500-byte records again and again.
  if (cfg_.record_changes)
    fx.changes.tasks.reserve(fx.changes.tasks.size() + created.size());
  for (auto* t : created) {
    persist(*t, now, fx);
    if (t->rec.deadline_ms) {
      deadline_timers_.push({*t->rec.deadline_ms, t->seq});
      if (*t->rec.deadline_ms <= now) {
        finish(*t, task_state::timeout, now, fx);
        continue;
      }
    }
    enqueue(*t, now, fx);
  }
  return ack;
}

result<json::value> dispatcher_state::cancel_task(const std::string& owner,
                                                  const std::string& task_id,
                                                  int64_t now, effects& fx) {
  auto* found = find_entry(task_id);
  if (!found || found->job->rec.owner != owner)
    return error{errc::not_found, "task '" + task_id + "' not found"};
  auto& t = *found;
  if (storage::is_terminal(t.rec.state))
    return json::value{
        json::object{{"status", "already_finished"},
                     {"task_id", task_id},
                     {"state", storage::to_string(t.rec.state)}}};
  t.rec.error = task_error_json("PERMANENT_ERROR", "cancelled by client");
  finish(t, task_state::cancelled, now, fx);
  return json::value{
      json::object{{"status", "cancelled"}, {"task_id", task_id}}};
}

result<json::value> dispatcher_state::cancel_job(const std::string& owner,
                                                 const std::string& job_id,
                                                 int64_t now, effects& fx) {
  auto i = jobs_.find(job_id);
  if (i == jobs_.end() || i->second->rec.owner != owner)
    return error{errc::not_found, "job '" + job_id + "' not found"};
  int64_t cancelled = 0;
  // A copy: finishing the last task may evict the whole job.
  auto seqs = i->second->task_seqs;
  for (auto seq : seqs) {
    auto* t = tasks_.find(seq);
    if (!t || storage::is_terminal(t->rec.state))
      continue;
    t->rec.error = task_error_json("PERMANENT_ERROR", "cancelled by client");
    finish(*t, task_state::cancelled, now, fx);
    ++cancelled;
  }
  return json::value{json::object{{"status", "cancelled"},
                                  {"job_id", job_id},
                                  {"cancelled_tasks", cancelled}}};
}

} // namespace rxon::actors
