#include "runtime/uplink/uplink_mapping.hpp"

#include "actors/event_chain.hpp"
#include "protocol/codec.hpp"
#include "protocol/constants.hpp"
#include "protocol/signing.hpp"
#include "runtime/peer_link.hpp"

#include <chrono>

namespace rxon::runtime {

namespace {

int64_t unix_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

json::value advertised(const actors::subtree_view& s) {
  json::array skills;
  for (const auto& k : s.skills)
    skills.push_back(to_json(k));
  return json::object{{"capacity", s.capacity},
                      {"profiles", actors::profiles_json(s.profiles)},
                      {"skills", std::move(skills)}};
}

} // namespace

std::string subtree_hash(const actors::subtree_view& s) {
  auto h = calculate_dict_hash(advertised(s));
  return h ? *h : std::string{};
}

worker_registration uplink_registration(const std::string& id,
                                        const actors::subtree_view& s) {
  worker_registration reg;
  reg.worker_id = id;
  reg.worker_type = actors::orchestrator_worker_type;
  reg.supported_skills = s.skills;
  if (!s.hot.empty())
    reg.hot_skills = s.hot;
  // A reference parent reads only the top-level resources: give it the
  // subtree's resources when they are all alike, nothing otherwise (it then
  // sends only tasks without resource requirements).
  if (s.profiles.size() == 1)
    reg.resources = s.profiles.front().resources;
  worker_capabilities caps;
  caps.hostname = host_name();
  caps.extra = json::object{
      {actors::extra_resource_profiles, actors::profiles_json(s.profiles)},
      {actors::extra_capacity, std::max<int64_t>(s.capacity, 1)}};
  reg.capabilities = std::move(caps);
  reg.skills_hash = subtree_hash(s);
  reg.metadata
      = json::object{{"concurrency", std::max<int64_t>(s.capacity, 1)}};
  reg.timestamp = unix_seconds();
  return reg;
}

result<actors::job_spec> local_job(const task_payload& task,
                                   const std::string& owner) {
  actors::task_spec ts;
  ts.type = task.type;
  ts.params = task.params;
  ts.priority = task.priority;
  ts.deadline = task.deadline;
  ts.max_attempts = 1; // the parent owns the retries
  if (task.metadata.is_object()) {
    if (const auto* r = task.metadata.find("rxon.requirements");
        r && !r->is_null()) {
      auto res = from_json<rxon::resources>(*r);
      if (!res)
        return error{res.error().code,
                     "metadata.rxon.requirements: " + res.error().message};
      ts.requirements
          = std::make_shared<const rxon::resources>(std::move(*res));
    }
    if (const auto* k = task.metadata.find("rxon.skill"); k && !k->is_null()) {
      auto skill = from_json<skill_info>(*k);
      if (!skill)
        return error{skill.error().code,
                     "metadata.rxon.skill: " + skill.error().message};
      ts.skill = std::make_shared<const skill_info>(std::move(*skill));
    }
    if (const auto* c = task.metadata.find("rxon.max_cost");
        c && c->is_number())
      ts.max_cost = c->as_double();
  }
  actors::job_spec spec;
  spec.owner = owner;
  spec.tasks.push_back(std::move(ts));
  spec.metadata = json::object{
      {uplink_metadata_key,
       json::object{{"job_id", task.job_id}, {"task_id", task.task_id}}}};
  return spec;
}

std::optional<parent_ref> parent_of(const json::value& job_metadata) {
  const auto* up = job_metadata.find(uplink_metadata_key);
  if (!up || !up->is_object())
    return std::nullopt;
  const auto* job = up->find("job_id");
  const auto* task = up->find("task_id");
  if (!job || !task || !job->is_string() || !task->is_string())
    return std::nullopt;
  return parent_ref{job->as_string(), task->as_string()};
}

std::optional<task_result> upward_result(const storage::task_record& t,
                                         const parent_ref& parent,
                                         const std::string& self_id) {
  using storage::task_state;
  if (t.state == task_state::cancelled || !storage::is_terminal(t.state))
    return std::nullopt;
  task_result r;
  r.job_id = parent.job_id;
  r.task_id = parent.task_id;
  r.worker_id = self_id;
  r.origin_worker_id
      = t.origin_worker_id.empty() ? t.holon_id : t.origin_worker_id;
  if (r.origin_worker_id->empty())
    r.origin_worker_id.reset();
  r.timestamp = unix_seconds();
  if (t.state == task_state::success) {
    r.status = std::string{task_status_success};
    r.data = t.result;
    return r;
  }
  r.status = std::string{task_status_failure};
  auto err = from_json<task_error>(t.error);
  if (err)
    r.error = std::move(*err);
  else if (t.state == task_state::timeout)
    r.error = task_error{std::string{error_code_timeout}, "timed out", {}};
  else
    r.error = task_error{std::string{error_code_transient},
                         "failed without an error object",
                         {}};
  return r;
}

task_result exhausted(const parent_ref& parent, const std::string& self_id,
                      std::string why) {
  task_result r;
  r.job_id = parent.job_id;
  r.task_id = parent.task_id;
  r.worker_id = self_id;
  r.status = std::string{task_status_failure};
  r.error = task_error{
      std::string{error_code_resource_exhausted}, std::move(why), {}};
  r.timestamp = unix_seconds();
  return r;
}

worker_event upward_event(const worker_event& ev, const parent_ref& parent,
                          const std::string& self_id) {
  worker_event out = ev;
  out.worker_id = self_id;
  out.target_job_id = parent.job_id;
  out.target_task_id = parent.task_id;
  actors::append_relay(out, self_id);
  std::vector<std::string> ids;
  if (ev.security && ev.security->identity_chain)
    ids = *ev.security->identity_chain;
  else
    ids.push_back(ev.origin_worker_id);
  if (ids.empty() || ids.back() != self_id)
    ids.push_back(self_id);
  security_context sec;
  sec.identity_chain = std::move(ids);
  out.security = std::move(sec);
  out.timestamp = unix_seconds();
  return out;
}

} // namespace rxon::runtime
