#pragma once

// Small factories for actor-runtime tests.

#include "actors/dispatcher_state.hpp"
#include "actors/orchestrator_api.hpp"
#include "protocol/messages.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rxon::test {

inline hardware_device gpu(int vram_gb, std::string model = "RTX 4090") {
  hardware_device d;
  d.type = "gpu";
  d.model = std::move(model);
  d.properties = json::object{{"vram_gb", vram_gb}};
  return d;
}

/// A worker registration with the given skills and GPUs.
inline worker_registration holon_reg(std::string id,
                                     std::vector<std::string> skills,
                                     std::vector<int> gpus_vram = {},
                                     std::optional<double> cost = {}) {
  worker_registration r;
  r.worker_id = std::move(id);
  std::vector<skill_info> list;
  for (auto& s : skills) {
    skill_info si;
    si.name = s;
    list.push_back(si);
    if (cost) {
      if (!r.capabilities)
        r.capabilities.emplace();
      if (!r.capabilities->cost_per_skill)
        r.capabilities->cost_per_skill.emplace();
      (*r.capabilities->cost_per_skill)[s] = *cost;
    }
  }
  r.supported_skills = std::move(list);
  if (!gpus_vram.empty()) {
    resources res;
    res.devices.emplace();
    for (auto v : gpus_vram)
      res.devices->push_back(gpu(v));
    r.resources = std::move(res);
  }
  return r;
}

inline actors::task_spec task(std::string type, double priority = 0) {
  actors::task_spec t;
  t.type = std::move(type);
  t.priority = priority;
  t.params = json::object{{"n", 1}};
  return t;
}

inline actors::job_spec job(std::vector<actors::task_spec> tasks,
                            std::string owner = "client") {
  actors::job_spec j;
  j.owner = std::move(owner);
  j.tasks = std::move(tasks);
  return j;
}

inline actors::poll_request poll_req(std::string worker, int64_t timeout_ms) {
  actors::poll_request p;
  p.worker_id = std::move(worker);
  p.timeout = std::chrono::milliseconds(timeout_ms);
  return p;
}

/// The task delivered to poll `id` in `fx`, if any.
inline std::optional<task_payload> delivered(const actors::effects& fx,
                                             actors::poll_id id) {
  for (const auto& a : fx.answers)
    if (a.id == id && a.outcome && *a.outcome)
      return **a.outcome;
  return std::nullopt;
}

/// Whether poll `id` was answered in `fx` (task, timeout or error).
inline bool answered(const actors::effects& fx, actors::poll_id id) {
  for (const auto& a : fx.answers)
    if (a.id == id)
      return true;
  return false;
}

inline task_result success(const task_payload& t, json::value data = {}) {
  task_result r;
  r.job_id = t.job_id;
  r.task_id = t.task_id;
  r.status = "success";
  r.data = std::move(data);
  return r;
}

inline task_result failure(const task_payload& t, std::string code) {
  task_result r;
  r.job_id = t.job_id;
  r.task_id = t.task_id;
  r.status = "failure";
  r.error = task_error{std::move(code), "it failed", {}};
  return r;
}

} // namespace rxon::test
