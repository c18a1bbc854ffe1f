#include "actors/dispatcher_state.hpp"

#include "actors/dispatcher_entries.hpp"

#include <algorithm>

namespace rxon::actors {

using storage::task_state;

namespace {

bool contains(const std::vector<std::string>& xs, std::string_view x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

} // namespace

dispatcher_state::dispatcher_state(dispatch_config cfg, uint64_t seed)
    : cfg_(cfg), rng_(seed) {
  // nop
}

dispatcher_state::~dispatcher_state() = default;

// -- pending heap -------------------------------------------------------------

void dispatcher_state::add_class(class_id c) {
  if (c >= queues_.size()) {
    queues_.resize(c + 1);
    heads_.resize(c + 1, no_head);
  }
}

void dispatcher_state::dequeue(task_entry& t) {
  auto& q = queues_[t.cls].pending;
  t.queued = false;
  const auto& k = heads_[t.cls];
  if (k.seq == t.seq && k.gen == t.queue_gen) {
    ++t.queue_gen;
    q.pop(true); // taken from the head: the common case
    refresh_head(t.cls);
    return;
  }
  ++t.queue_gen;
  q.forget();
  // Many tasks cancelled behind a head that stays: drop their keys.
  if (q.stale() > q.size() + 4096)
    q.compact([&](const queue_key& key) {
      auto* e = tasks_.find(key.seq);
      return e && e->queued && e->queue_gen == key.gen;
    });
  refresh_head(t.cls);
}

// -- holons -------------------------------------------------------------------

void dispatcher_state::add_holon(const worker_registration& reg, int64_t now) {
  auto& h = holons_.find_or_add(reg.worker_id, [&] {
    auto e = std::make_unique<holon_entry>();
    e->id = reg.worker_id;
    e->registered_ms = now;
    return e;
  });
  h.profile = profiles_.intern(holon_profile::from(reg));
  h.worker_type = reg.worker_type;
  h.hot = reg.hot_skills.value_or(std::vector<std::string>{});
  h.skills_hash = reg.skills_hash.value_or("");
  h.last_seen_ms = now;
  h.last_touch_ms = now; // registering restarts the holon's TTL
  h.status = "idle";
  h.capacity = capacity_of(reg);
  h.orchestrator = reg.worker_type == orchestrator_worker_type;
  ++holons_version_;
}

void dispatcher_state::touch(holon_entry& h, int64_t now, effects& fx) {
  h.last_seen_ms = now;
  if (cfg_.touch_every_ms > 0 && now - h.last_touch_ms < cfg_.touch_every_ms)
    return;
  h.last_touch_ms = now;
  fx.touched.push_back(h.id);
}

void dispatcher_state::requeue_leases(const std::string& id, int64_t now,
                                      effects& fx) {
  auto* holon = holons_.find(id);
  if (!holon)
    return;
  auto leases = holon->leases;
  // Sort for determinism: swap-removals reorder the list.
  std::sort(leases.begin(), leases.end(),
            [](auto* x, auto* y) { return x->seq < y->seq; });
  for (auto* t : leases) {
    release_lease(*t);
    t->avoid_last_holon = true; // rec.holon_id is `id`
    fx.changes.events.push_back(
        {now, "holon_lost_requeue", t->rec.job_id, t->rec.task_id, id, {}});
    make_pending(*t, now, fx);
    persist(*t, now, fx);
    enqueue(*t, now, fx);
  }
}

void dispatcher_state::remove_holon(const std::string& id, int64_t now,
                                    effects& fx) {
  auto* found = holons_.find(id);
  if (!found)
    return;
  requeue_leases(id, now, fx);
  auto& h = *found;
  for (auto pid : h.parked) {
    fx.answers.push_back({pid, std::optional<task_payload>{}});
    if (auto p = parked_.find(pid); p != parked_.end()) {
      forget_parked(*p->second);
      parked_.erase(p);
    }
  }
  holons_.erase(id);
  ++holons_version_;
}

bool dispatcher_state::has_holon(const std::string& id) const {
  return holons_.find(id) != nullptr;
}

// -- dispatch -----------------------------------------------------------------

void dispatcher_state::enqueue(task_entry& t, int64_t now, effects& fx) {
  if (t.rec.not_before_ms > now) {
    backoff_timers_.push({t.rec.not_before_ms, t.seq});
    return;
  }
  if (try_push(t, now, fx))
    return;
  queues_[t.cls].pending.insert({-t.rec.priority, t.seq, t.queue_gen});
  refresh_head(t.cls);
  t.queued = true;
}

void dispatcher_state::make_pending(task_entry& t, int64_t now, effects&) {
  set_state(t, task_state::pending);
  t.rec.lease_expiry_ms = 0;
  t.rec.updated_ms = now;
}

bool dispatcher_state::poll_alive(poll_id id) const {
  return parked_.count(id) > 0;
}

bool dispatcher_state::try_push(task_entry& t, int64_t now, effects& fx) {
  if (draining_)
    return false;
  auto w = waiting_.find(t.rec.type);
  if (w == waiting_.end())
    return false;
  struct candidate {
    poll_id id;
    holon_entry* h;
    bool hot;
    double cost;
  };
  candidate best{0, nullptr, false, 0};
  auto better = [&](const candidate& x, const candidate& y) {
    // Is x better than y?
    switch (cfg_.strategy) {
    case strategy::round_robin:
      return x.id < y.id;
    case strategy::least_loaded:
      return std::tie(x.h->load, x.id) < std::tie(y.h->load, y.id);
    case strategy::cheapest:
      return std::tie(x.cost, x.id) < std::tie(y.cost, y.id);
    case strategy::standard:
    default:
      if (x.hot != y.hot)
        return x.hot;
      if (x.h->load != y.h->load)
        return x.h->load < y.h->load;
      if (x.cost != y.cost)
        return x.cost < y.cost;
      if (x.h->reputation != y.h->reputation)
        return x.h->reputation > y.h->reputation;
      return x.id < y.id;
    }
  };
  for (auto& [profile, lists] : w->second) {
    if (!profiles_.compatible(profile, t.cls))
      continue;
    auto cost = profiles_.profile(profile).cost(t.rec.type);
    for (auto* list : {&lists.hot, &lists.cold}) {
      // Drop answered polls at the head; look a few entries deep for a
      // holon that is neither to be avoided nor below the floor.
      while (!list->empty() && !poll_alive(list->front()))
        list->pop_front();
      int looked = 0;
      for (auto id : *list) {
        if (++looked > 4)
          break;
        auto p = parked_.find(id);
        if (p == parked_.end())
          continue;
        auto& h = *p->second->h;
        if ((t.avoid_last_holon && h.id == t.rec.holon_id)
            || h.reputation < cfg_.reputation_floor)
          continue;
        if (!check_contract(t, h))
          continue;
        candidate c{id, &h, list == &lists.hot, cost};
        if (!best.h || better(c, best))
          best = c;
        break;
      }
    }
  }
  if (!best.h)
    return false;
  auto id = best.id;
  unpark(id);
  deliver_to(t, *best.h, id, now, fx);
  return true;
}

void dispatcher_state::deliver_to(task_entry& t, holon_entry& h, poll_id id,
                                  int64_t now, effects& fx) {
  // Latency since the task last became dispatchable.
  auto since = std::max(t.rec.updated_ms, t.rec.not_before_ms);
  auto waited = std::max<int64_t>(now - since, 0);
  const auto& b = dispatch_stats::latency_buckets;
  auto bucket = static_cast<size_t>(std::lower_bound(b.begin(), b.end(), waited)
                                    - b.begin());
  ++latency_counts_[bucket];
  latency_sum_ms_ += waited;
  set_state(t, task_state::assigned);
  t.rec.holon_id = h.id;
  t.rec.attempts += 1;
  t.rec.lease_expiry_ms = now + cfg_.lease_ms;
  t.rec.updated_ms = now;
  t.avoid_last_holon = false;
  t.holder = &h;
  t.lease_slot = static_cast<uint32_t>(h.leases.size());
  h.leases.push_back(&t);
  h.load = static_cast<uint32_t>(h.leases.size());
  lease_timers_.push({t.rec.lease_expiry_ms, t.seq});
  // Built in place: a task_payload is 240 bytes, costly to move.
  auto& a = fx.answers.emplace_back();
  a.id = id;
  auto& p = a.outcome->emplace();
  p.job_id = t.job->rec.job_id; // warm; the task's copy is cold by now
  p.task_id = t.rec.task_id;
  p.type = t.rec.type;
  p.params = t.rec.params;
  p.priority = t.rec.priority;
  if (t.rec.deadline_ms)
    p.deadline = *t.rec.deadline_ms / 1000;
  p.timestamp = now / 1000;
  if (h.orchestrator)
    pass_requirements(t, p);
  if (t.job->watched)
    notify(t, task_notice::kind::assigned, fx);
  ++dispatched_;
}

dispatcher_state::task_entry*
dispatcher_state::best_task_for(holon_entry& h, const poll_request& req,
                                int64_t now, effects& fx) {
  // The profile's slots carry each skill's compatible classes and input
  // schema: no string lookups here. Queue heads are compared by their keys
  // (priority, then age), so a poll over many classes reads one task entry,
  // the winner's (each one read is a cache miss with many tasks queued).
  // A winner whose key is stale leaves its queue, one past its deadline
  // times out (never handed out), and one that fails the skill's input
  // contract rules its class out of this poll; then the choice is redone.
  const auto& prof = profiles_.profile(h.profile);
  std::vector<class_id> ruled_out;
  for (;;) {
    const queue_key* best = nullptr;
    const skill_slot* best_slot = nullptr;
    class_id best_cls = 0;
    bool best_hot = false;
    for (const auto& slot : prof.slots) {
      if (req.available_skills && !contains(*req.available_skills, slot.name))
        continue;
      bool hot = (req.hot_skills && contains(*req.hot_skills, slot.name))
                 || (!h.hot.empty() && contains(h.hot, slot.name));
      for (auto c : slot.classes) {
        const auto& k = heads_[c];
        if (k.seq == no_head.seq)
          continue;
        if (best && !(hot && !best_hot) && !(hot == best_hot && k < *best))
          continue;
        if (!ruled_out.empty()
            && std::find(ruled_out.begin(), ruled_out.end(), c)
                   != ruled_out.end())
          continue;
        best = &k;
        best_slot = &slot;
        best_cls = c;
        best_hot = hot;
      }
    }
    if (!best)
      return nullptr;
    auto& q = queues_[best_cls].pending;
    auto* t = tasks_.find(best->seq);
    if (!t || !t->queued || t->queue_gen != best->gen) {
      q.pop(false); // stale key
      refresh_head(best_cls);
      continue;
    }
    if (t->rec.deadline_ms && *t->rec.deadline_ms <= now) {
      finish(*t, task_state::timeout, now, fx); // leaves the queue
      continue;
    }
    if (best_slot->input && !validate(*best_slot->input, t->rec.params)) {
      ruled_out.push_back(best_cls);
      continue;
    }
    return t;
  }
}

void dispatcher_state::park(poll_id id, holon_entry& h, const poll_request& req,
                            int64_t now) {
  auto timeout = std::min<int64_t>(req.timeout.count(), cfg_.max_poll_ms);
  auto p = std::make_unique<parked_poll>();
  p->id = id;
  p->holon = h.id;
  p->h = &h;
  p->expires_ms = now + timeout;
  poll_timers_.push({p->expires_ms, id});
  auto& poll = *p;
  parked_.emplace(id, std::move(p));
  h.parked.push_back(id);
  if (h.reputation < cfg_.reputation_floor)
    return; // waits out its timeout: no tasks below the floor
  const auto& prof = profiles_.profile(h.profile);
  std::string_view last;
  for (const auto& skill : prof.skills) {
    if (skill.name == last)
      continue;
    last = skill.name;
    if (req.available_skills && !contains(*req.available_skills, skill.name))
      continue;
    bool hot = (req.hot_skills && contains(*req.hot_skills, skill.name))
               || contains(h.hot, skill.name);
    auto& lists = waiting_[skill.name][h.profile];
    (hot ? lists.hot : lists.cold).push_back(id);
    poll.counted.push_back(skill.name);
    ++idle_by_skill_[skill.name];
  }
  if (!poll.counted.empty())
    ++idle_polls_;
}

void dispatcher_state::unpark(poll_id id) {
  // Queue entries of this id become stale and are skipped lazily.
  auto p = parked_.find(id);
  if (p == parked_.end())
    return;
  forget_parked(*p->second);
  std::erase(p->second->h->parked, id);
  parked_.erase(p);
}

void dispatcher_state::poll(poll_id id, const poll_request& req, int64_t now,
                            effects& fx) {
  auto* found = holons_.find(req.worker_id);
  if (!found) {
    fx.answers.push_back(
        {id,
         error{errc::not_found, "worker '" + req.worker_id
                                    + "' is not registered; register first"}});
    return;
  }
  auto& h = *found;
  touch(h, now, fx);
  if (req.hot_skills)
    h.hot = *req.hot_skills;
  if (draining_) {
    fx.answers.push_back({id, std::optional<task_payload>{}});
    return;
  }
  if (h.reputation >= cfg_.reputation_floor) {
    if (auto* t = best_task_for(h, req, now, fx)) {
      dequeue(*t);
      deliver_to(*t, h, id, now, fx);
      return;
    }
  }
  if (req.timeout.count() <= 0) {
    fx.answers.push_back({id, std::optional<task_payload>{}});
    return;
  }
  park(id, h, req, now);
}

void dispatcher_state::drain(effects& fx) {
  draining_ = true;
  for (auto& [id, p] : parked_) {
    fx.answers.push_back({id, std::optional<task_payload>{}});
    p->h->parked.clear();
  }
  parked_.clear();
  idle_by_skill_.clear();
  idle_polls_ = 0;
}

void dispatcher_state::cancel_poll(poll_id id) {
  unpark(id);
}

void dispatcher_state::return_task(const std::string& worker_id,
                                   const std::string& task_id, int64_t now,
                                   effects& fx) {
  auto* found = find_entry(task_id);
  if (!found)
    return;
  auto& t = *found;
  if (t.rec.holon_id != worker_id || t.rec.state != task_state::assigned)
    return;
  release_lease(t);
  t.rec.attempts -= 1; // it never reached the worker
  make_pending(t, now, fx);
  enqueue(t, now, fx);
}

} // namespace rxon::actors
