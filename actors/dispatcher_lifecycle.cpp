// Results, heartbeats, events, timers and recovery of dispatcher_state.

#include "actors/dispatcher_entries.hpp"
#include "actors/dispatcher_state.hpp"
#include "actors/event_chain.hpp"
#include "protocol/codec.hpp"

#include <algorithm>

namespace rxon::actors {

using storage::task_state;

namespace {

json::value ignored(std::string_view reason, std::string message) {
  return json::object{{"status", "ignored"},
                      {"reason", std::string{reason}},
                      {"message", std::move(message)}};
}

enum class failure_kind { transient, permanent, invalid, contract };

// The error taxonomy of spec §7, as the incumbent applies it (§1.7 step 12),
// with exhausted transient retries failing instead of quarantining.
failure_kind classify(const json::value& error) {
  const auto* code = error.find("code");
  if (!code || !code->is_string())
    return failure_kind::transient;
  const auto& c = code->as_string();
  if (c == "CONTRACT_VIOLATION_ERROR")
    return failure_kind::contract;
  if (c == "PERMANENT_ERROR" || c == "SECURITY_ERROR" || c == "DEPENDENCY_ERROR"
      || c == "DEPENDENCY_MISSING_ERROR")
    return failure_kind::permanent;
  if (c == "INVALID_INPUT_ERROR" || c == "INTEGRITY_MISMATCH_ERROR")
    return failure_kind::invalid;
  return failure_kind::transient; // TRANSIENT, TIMEOUT, RESOURCE_EXHAUSTED...
}

} // namespace

// -- bookkeeping --------------------------------------------------------------

void dispatcher_state::set_state(task_entry& t, task_state s) {
  auto from = static_cast<size_t>(t.rec.state);
  auto to = static_cast<size_t>(s);
  --state_counts_[from];
  ++state_counts_[to];
  --t.job->counts[from];
  ++t.job->counts[to];
  t.rec.state = s;
}

void dispatcher_state::persist(task_entry& t, int64_t now, effects& fx) {
  t.rec.updated_ms = now;
  if (!cfg_.record_changes)
    return;
  // The whole record (params and all) is written once; state changes after
  // that rewrite only the mutable columns.
  if (t.stored) {
    fx.changes.task_updates.push_back(storage::task_update::of(t.rec));
    return;
  }
  t.stored = true;
  auto& rec = fx.changes.tasks.emplace_back(t.rec);
  const auto& q = queues_[t.cls]; // the class holds them for its tasks
  rec.requirements = q.requirements_json;
  rec.skill = q.skill_json;
}

void dispatcher_state::release_lease(task_entry& t) {
  if (auto* h = t.holder) {
    auto& v = h->leases;
    v[t.lease_slot] = v.back();
    v[t.lease_slot]->lease_slot = t.lease_slot;
    v.pop_back();
    h->load = static_cast<uint32_t>(v.size());
    t.holder = nullptr;
  }
  t.rec.lease_expiry_ms = 0;
}

void dispatcher_state::send_cancel(task_entry& t, effects& fx) {
  worker_command cmd;
  cmd.command = "cancel_task";
  cmd.task_id = t.rec.task_id;
  cmd.job_id = t.rec.job_id;
  fx.commands.push_back({t.rec.holon_id, std::move(cmd)});
  if (auto* h = holons_.find(t.rec.holon_id))
    h->pending_cancels.push_back(t.rec.task_id);
}

void dispatcher_state::finish(task_entry& t, task_state s, int64_t now,
                              effects& fx) {
  bool leased = t.rec.state == task_state::assigned
                || t.rec.state == task_state::running;
  if (leased) {
    // The holon must stop work whose outcome no longer counts.
    if (s == task_state::cancelled || s == task_state::timeout)
      send_cancel(t, fx);
    release_lease(t);
  }
  if (t.queued)
    dequeue(t);
  if (s == task_state::timeout && t.rec.error.is_null())
    t.rec.error = task_error_json("TIMEOUT_ERROR", "deadline exceeded");
  set_state(t, s);
  persist(t, now, fx);
  // The job's last task ended: the store marks the job, and recovery no
  // longer reads its tasks. (A restored job holds only the tasks that were
  // unfinished; the others ended before.)
  if (cfg_.record_changes && t.job->open_tasks() == 0)
    fx.changes.finished_jobs.push_back({t.job->rec.job_id, now});
  if (t.job->watched)
    notify(t, task_notice::kind::finished, fx);
  terminal_order_.push_back(t.seq);
  evict_terminal();
}

void dispatcher_state::adjust_reputation(holon_entry* h, double delta) {
  if (h)
    h->reputation = std::clamp(h->reputation + delta, 0.0, 1.0);
}

void dispatcher_state::retry_or_fail(task_entry& t, const json::value& err,
                                     int64_t now, effects& fx) {
  t.rec.error = err;
  if (t.rec.attempts < t.rec.max_attempts) {
    auto backoff = cfg_.retry_base_ms;
    for (int i = 1; i < t.rec.attempts && backoff < cfg_.retry_max_ms; ++i)
      backoff *= 2;
    t.rec.not_before_ms = now + std::min(backoff, cfg_.retry_max_ms);
    t.avoid_last_holon = true;
    make_pending(t, now, fx);
    persist(t, now, fx);
    fx.changes.events.push_back(
        {now, "task_retry", t.rec.job_id, t.rec.task_id, t.rec.holon_id, err});
    enqueue(t, now, fx);
    return;
  }
  finish(t, task_state::failure, now, fx);
}

// -- contracts ----------------------------------------------------------------

status dispatcher_state::check_contract(const task_entry& t,
                                        const holon_entry& h) const {
  const auto* schema = profiles_.profile(h.profile).input_schema(t.rec.type);
  return schema ? validate(*schema, t.rec.params) : status{};
}

status dispatcher_state::check_output(const task_entry& t, const holon_entry& h,
                                      const json::value& data) const {
  const auto* schema = profiles_.profile(h.profile).output_schema(t.rec.type);
  return schema ? validate(*schema, data) : status{};
}

// -- results ------------------------------------------------------------------

json::value dispatcher_state::post_result(const std::string& worker_id,
                                          task_result&& res, int64_t now,
                                          effects& fx) {
  auto* found = find_entry(res.task_id);
  if (!found) {
    if (jobs_.count(res.job_id))
      return ignored("stale_task", "task is not part of this job");
    return ignored("job_not_found", "no such job or task");
  }
  auto& t = *found;
  // The job's copy of the id: its entry is warm, the task's own string
  // went cold since the task was handed out.
  if (t.job->rec.job_id != res.job_id)
    return ignored("stale_task", "task belongs to another job");
  if (storage::is_terminal(t.rec.state)) {
    if (t.rec.state == task_state::cancelled)
      return ignored("job_cancelled", "task was cancelled");
    if (t.rec.state == task_state::timeout)
      return ignored("deadline_exceeded", "task timed out");
    return ignored("stale_task", "task already completed");
  }
  if (t.rec.holon_id != worker_id)
    return ignored("worker_mismatch", "task is assigned to another worker");
  // A late result from the last holon completes a task that went back to
  // pending but has not been handed to anyone else yet.
  // While leased, the task knows its holon (worker_id, checked above).
  auto* holon = t.holder;
  if (!holon) {
    holon = holons_.find(worker_id);
  }
  if (holon)
    touch(*holon, now, fx);
  release_lease(t);
  if (t.queued)
    dequeue(t);
  t.rec.origin_worker_id = res.origin_worker_id.value_or(worker_id);
  if (res.status == "success") {
    if (holon) {
      if (auto st = check_output(t, *holon, res.data); !st) {
        adjust_reputation(holon, -cfg_.penalty_contract);
        t.rec.error
            = task_error_json("CONTRACT_VIOLATION_ERROR", st.error().message);
        t.rec.result = std::move(res.data);
        finish(t, task_state::quarantined, now, fx);
        return json::object{{"status", "accepted"},
                            {"outcome", "contract_violation"}};
      }
    }
    t.rec.result = std::move(res.data);
    t.rec.error = json::value{};
    adjust_reputation(holon, cfg_.reward_success);
    finish(t, task_state::success, now, fx);
    return json::object{{"status", "accepted"}};
  }
  if (res.status == "cancelled") {
    finish(t, task_state::cancelled, now, fx);
    return json::object{{"status", "accepted"}};
  }
  auto err = res.error ? to_json(*res.error)
                       : task_error_json("TRANSIENT_ERROR",
                                         "failure without an error object");
  if (res.status != "failure")
    err = task_error_json("PERMANENT_ERROR",
                          "unknown result status '" + res.status + "'");
  switch (classify(err)) {
  case failure_kind::contract:
    adjust_reputation(holon, -cfg_.penalty_contract);
    t.rec.error = err;
    finish(t, task_state::quarantined, now, fx);
    break;
  case failure_kind::permanent:
    adjust_reputation(holon, -cfg_.penalty_failure);
    t.rec.error = err;
    finish(t, task_state::failure, now, fx);
    break;
  case failure_kind::invalid:
    t.rec.error = err;
    finish(t, task_state::failure, now, fx);
    break;
  case failure_kind::transient:
    retry_or_fail(t, err, now, fx);
    break;
  }
  return json::object{{"status", "accepted"}};
}

// -- heartbeats and events ----------------------------------------------------

json::value
dispatcher_state::heartbeat(const std::string& worker_id,
                            const std::optional<rxon::heartbeat>& hb,
                            int64_t now, effects& fx) {
  auto* found = holons_.find(worker_id);
  if (!found)
    return json::object{{"status", "ok"}, {"require_full_sync", true}};
  auto& h = *found;
  touch(h, now, fx);
  json::object out{{"status", "ok"}};
  std::vector<std::string> cancel = std::move(h.pending_cancels);
  h.pending_cancels.clear();
  if (hb) {
    h.status = hb->status;
    if (hb->hot_skills)
      h.hot = *hb->hot_skills;
    if (hb->skills_hash && *hb->skills_hash != h.skills_hash
        && !hb->supported_skills)
      out.set("require_full_sync", true);
    if (hb->current_tasks) {
      for (const auto& id : *hb->current_tasks) {
        auto* t = find_entry(id);
        bool stop = !t || storage::is_terminal(t->rec.state)
                    || t->rec.holon_id != worker_id;
        if (stop && std::find(cancel.begin(), cancel.end(), id) == cancel.end())
          cancel.push_back(id);
      }
    }
  }
  if (!cancel.empty()) {
    json::array ids;
    for (auto& id : cancel)
      ids.emplace_back(std::move(id));
    out.set("cancel_task_ids", std::move(ids));
  }
  return out;
}

json::value dispatcher_state::post_event(const std::string& worker_id,
                                         const worker_event& received,
                                         int64_t now, effects& fx) {
  if (auto st = check_chains(received, worker_id); !st)
    return json::object{{"status", "error"},
                        {"code", "SECURITY_ERROR"},
                        {"message", st.error().message}};
  // The sender relays the event: it joins the chain (incumbent §1.8.5).
  std::optional<worker_event> relayed;
  if (received.origin_worker_id != worker_id) {
    relayed = received;
    if (!append_relay(*relayed, worker_id))
      relayed.reset();
  }
  const auto& ev = relayed ? *relayed : received;
  const auto& task_id
      = ev.target_task_id ? *ev.target_task_id : ev.origin_task_id.value_or("");
  if (auto* h = holons_.find(worker_id))
    touch(*h, now, fx);
  if (!task_id.empty()) {
    auto* t = find_entry(task_id);
    if (t && t->rec.holon_id == worker_id
        && t->rec.state == task_state::assigned) {
      set_state(*t, task_state::running);
      persist(*t, now, fx);
    }
    if (t && t->job->watched && t->rec.holon_id == worker_id)
      notify(*t, task_notice::kind::event, fx, &ev);
  }
  json::object data{{"event_id", ev.event_id},
                    {"event_type", ev.event_type},
                    {"origin_worker_id", ev.origin_worker_id},
                    {"payload", ev.payload}};
  if (ev.bubbling_chain) {
    json::array chain;
    for (const auto& c : *ev.bubbling_chain)
      chain.emplace_back(c);
    data.set("bubbling_chain", std::move(chain));
  }
  fx.changes.events.push_back({now, "worker_event:" + ev.event_type,
                               ev.target_job_id.value_or(""), task_id,
                               worker_id, std::move(data)});
  return json::object{{"status", "event_accepted"}};
}

// -- time ---------------------------------------------------------------------

void dispatcher_state::tick(int64_t now, effects& fx) {
  while (!poll_timers_.empty() && poll_timers_.top().first <= now) {
    auto id = poll_timers_.top().second;
    poll_timers_.pop();
    auto p = parked_.find(id);
    if (p != parked_.end() && p->second->expires_ms <= now) {
      fx.answers.push_back({id, std::optional<task_payload>{}});
      unpark(id);
    }
  }
  auto pop_task = [&](timer_heap& heap) -> task_entry* {
    auto seq = heap.top().second;
    heap.pop();
    return tasks_.find(seq);
  };
  while (!deadline_timers_.empty() && deadline_timers_.top().first <= now) {
    auto* t = pop_task(deadline_timers_);
    if (t && !storage::is_terminal(t->rec.state) && t->rec.deadline_ms
        && *t->rec.deadline_ms <= now)
      finish(*t, task_state::timeout, now, fx);
  }
  while (!lease_timers_.empty() && lease_timers_.top().first <= now) {
    auto* t = pop_task(lease_timers_);
    if (!t
        || (t->rec.state != task_state::assigned
            && t->rec.state != task_state::running)
        || t->rec.lease_expiry_ms > now)
      continue;
    fx.changes.events.push_back({now,
                                 "lease_expired",
                                 t->rec.job_id,
                                 t->rec.task_id,
                                 t->rec.holon_id,
                                 {}});
    if (t->rec.attempts >= t->rec.max_attempts) {
      t->rec.error = task_error_json(
          "TIMEOUT_ERROR", "no result within the lease after "
                               + std::to_string(t->rec.attempts) + " attempts");
      send_cancel(*t, fx);
      finish(*t, task_state::timeout, now, fx);
      continue;
    }
    send_cancel(*t, fx);
    release_lease(*t);
    t->avoid_last_holon = true;
    make_pending(*t, now, fx);
    persist(*t, now, fx);
    enqueue(*t, now, fx);
  }
  while (!backoff_timers_.empty() && backoff_timers_.top().first <= now) {
    auto* t = pop_task(backoff_timers_);
    if (t && t->rec.state == task_state::pending && !t->queued
        && t->rec.not_before_ms <= now)
      enqueue(*t, now, fx);
  }
}

int64_t dispatcher_state::next_wakeup() const {
  int64_t next = std::numeric_limits<int64_t>::max();
  for (const auto* heap :
       {&poll_timers_, &lease_timers_, &deadline_timers_, &backoff_timers_})
    if (!heap->empty())
      next = std::min(next, heap->top().first);
  return next;
}

// -- recovery -----------------------------------------------------------------

void dispatcher_state::restore(const storage::job_record& job,
                               std::vector<storage::task_record> tasks,
                               int64_t now, effects& fx) {
  auto& slot = jobs_[job.job_id];
  if (!slot) {
    slot = std::make_unique<job_entry>();
    slot->rec = job;
    slot->watched = !cfg_.watch_owner.empty() && job.owner == cfg_.watch_owner;
  }
  auto& j = *slot;
  j.partial = true; // finished tasks of this job stayed in the store
  // Every task is counted in its job before any of them can finish here
  // (a deadline passed while the process was down): the job's last task
  // to end is what marks the job finished in the store.
  std::vector<task_entry*> restored;
  restored.reserve(tasks.size());
  for (auto& rec : tasks) {
    if (find_entry(rec.task_id))
      continue;
    auto t = new_task();
    t->rec = std::move(rec);
    t->stored = true; // it comes from the store
    requirement r;
    r.type = t->rec.type;
    if (!t->rec.requirements.is_null())
      if (auto res = from_json<rxon::resources>(t->rec.requirements))
        r.resources = std::move(*res);
    if (!t->rec.skill.is_null())
      if (auto sk = from_json<skill_info>(t->rec.skill))
        r.skill = std::move(*sk);
    r.max_cost = t->rec.max_cost;
    t->cls = profiles_.intern(std::move(r));
    add_class(t->cls);
    if (auto& q = queues_[t->cls]; !q.encoded) {
      q.requirements_json = std::move(t->rec.requirements);
      q.skill_json = std::move(t->rec.skill);
      q.encoded = true;
    }
    t->rec.requirements = nullptr;
    t->rec.skill = nullptr;
    t->job = &j;
    t->seq = next_seq_++;
    j.task_seqs.push_back(t->seq);
    auto state = t->rec.state;
    ++state_counts_[static_cast<size_t>(state)];
    ++j.counts[static_cast<size_t>(state)];
    auto* raw = &add_task(std::move(t));
    if (storage::is_terminal(state))
      terminal_order_.push_back(raw->seq);
    else
      restored.push_back(raw);
  }
  // Loaded with no unfinished task (an older process ended them all but
  // did not mark the job): mark it now.
  if (restored.empty() && cfg_.record_changes && j.open_tasks() == 0)
    fx.changes.finished_jobs.push_back({j.rec.job_id, now});
  for (auto* raw : restored) {
    if (raw->rec.state != task_state::pending) {
      // Leased to a holon of the previous process: give it back.
      make_pending(*raw, now, fx);
      persist(*raw, now, fx);
    }
    if (raw->rec.deadline_ms)
      deadline_timers_.push({*raw->rec.deadline_ms, raw->seq});
    if (raw->rec.deadline_ms && *raw->rec.deadline_ms <= now) {
      finish(*raw, task_state::timeout, now, fx);
      continue;
    }
    enqueue(*raw, now, fx);
    if (j.watched)
      notify(*raw, task_notice::kind::recovered, fx);
  }
  evict_terminal();
}

} // namespace rxon::actors
