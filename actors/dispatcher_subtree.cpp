// What dispatcher_state does for shell-stacking: the subtree view and idle
// counters a local uplink reads, notices of its watched jobs, and the
// requirements passed down to a sub-orchestrator.

#include "actors/dispatcher_entries.hpp"
#include "actors/dispatcher_state.hpp"
#include "protocol/codec.hpp"

#include <set>

namespace rxon::actors {

subtree_view dispatcher_state::subtree(uint64_t known_version) const {
  subtree_view v;
  v.version = holons_version_;
  v.idle_polls = idle_polls_;
  for (const auto& [skill, n] : idle_by_skill_)
    v.idle.emplace(std::string{skill}, n);
  v.busy = state_counts_[static_cast<size_t>(storage::task_state::assigned)]
           + state_counts_[static_cast<size_t>(storage::task_state::running)];
  // Capacity and hot skills move with heartbeats; they are cheap enough to
  // gather with the profiles, which change only with the holon version.
  if (known_version == holons_version_)
    return v;
  v.full = true;
  std::set<profile_id> seen_profiles;
  std::set<std::string> profile_keys;
  std::set<std::string> hot;
  std::map<std::string, const skill_info*> skills;
  holons_.for_each([&](const holon_entry& entry) {
    const auto* h = &entry;
    v.capacity += h->capacity;
    hot.insert(h->hot.begin(), h->hot.end());
    if (!seen_profiles.insert(h->profile).second)
      return;
    const auto& prof = profiles_.profile(h->profile);
    for (const auto& s : prof.skills)
      skills.emplace(s.name, &s);
    // A sub-orchestrator below passes its own profiles on.
    std::vector<resource_profile> mine = prof.alternatives;
    if (mine.empty()) {
      resource_profile p;
      for (const auto& s : prof.skills)
        if (p.skills.empty() || p.skills.back() != s.name)
          p.skills.push_back(s.name);
      p.resources = prof.resources;
      mine.push_back(std::move(p));
    }
    for (auto& p : mine) {
      auto key = json::to_string(profiles_json({p}));
      if (profile_keys.insert(std::move(key)).second)
        v.profiles.push_back(std::move(p));
    }
  });
  for (const auto& [name, s] : skills)
    v.skills.push_back(*s);
  v.hot.assign(hot.begin(), hot.end());
  return v;
}

void dispatcher_state::forget_parked(parked_poll& p) {
  for (auto name : p.counted)
    if (auto i = idle_by_skill_.find(name);
        i != idle_by_skill_.end() && --i->second <= 0)
      idle_by_skill_.erase(i);
  if (!p.counted.empty())
    --idle_polls_;
  p.counted.clear();
}

void dispatcher_state::notify(const task_entry& t, task_notice::kind what,
                              effects& fx, const worker_event* ev) const {
  auto& n = fx.notices.emplace_back();
  n.what = what;
  n.task = t.rec;
  n.job_metadata = t.job->rec.metadata;
  if (ev)
    n.event = *ev;
}

void dispatcher_state::pass_requirements(const task_entry& t,
                                         task_payload& p) const {
  // The payload has no requirements field: a sub-orchestrator gets them
  // here so that it places the task on a leaf that satisfies them.
  json::object m;
  const auto& q = queues_[t.cls];
  if (!q.requirements_json.is_null())
    m.set("rxon.requirements", q.requirements_json.get());
  if (!q.skill_json.is_null())
    m.set("rxon.skill", q.skill_json.get());
  if (t.rec.max_cost)
    m.set("rxon.max_cost", *t.rec.max_cost);
  if (!m.empty())
    p.metadata = std::move(m);
}

} // namespace rxon::actors
