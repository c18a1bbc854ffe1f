#include "storage/validation.hpp"

#include <cmath>
#include <string>

namespace rxon::storage {

namespace {

error invalid(const std::string& what, const std::string& id, const char* field,
              const std::string& problem) {
  return error{errc::invalid_value,
               what + " '" + id + "': " + field + ": " + problem};
}

status check_json(const std::string& what, const std::string& id,
                  const char* field, const json::value& v) {
  if (auto st = json::check_encodable(v); !st)
    return invalid(what, id, field, st.error().message);
  return {};
}

status check_task(const task_record& t) {
  static const std::string what = "task";
  if (t.task_id.empty())
    return error{errc::invalid_value, "task: task_id: empty"};
  if (t.job_id.empty())
    return invalid(what, t.task_id, "job_id", "empty");
  if (t.state > task_state::quarantined)
    return invalid(what, t.task_id, "state", "unknown value");
  if (!std::isfinite(t.priority))
    return invalid(what, t.task_id, "priority", "not a finite number");
  if (t.max_cost && !std::isfinite(*t.max_cost))
    return invalid(what, t.task_id, "max_cost", "not a finite number");
  for (auto [field, v] :
       {std::pair{"params", &t.params},
        std::pair{"requirements", &t.requirements},
        std::pair{"skill", &t.skill}, std::pair{"result", &t.result},
        std::pair{"error", &t.error}})
    if (auto st = check_json(what, t.task_id, field, *v); !st)
      return st;
  return {};
}

} // namespace

status validate(const change_batch& batch) {
  for (const auto& j : batch.jobs) {
    if (j.job_id.empty())
      return error{errc::invalid_value, "job: job_id: empty"};
    if (auto st = check_json("job", j.job_id, "metadata", j.metadata); !st)
      return st;
  }
  for (const auto& t : batch.tasks)
    if (auto st = check_task(t); !st)
      return st;
  for (const auto& h : batch.holons) {
    if (h.holon_id.empty())
      return error{errc::invalid_value, "holon: holon_id: empty"};
    if (auto st
        = check_json("holon", h.holon_id, "registration", h.registration);
        !st)
      return st;
  }
  for (const auto& e : batch.events)
    if (auto st = check_json("event", e.kind, "data", e.data); !st)
      return st;
  return {};
}

json::value stored_form(const json::value& v) {
  if (v.is_null())
    return v;
  auto parsed = json::parse(json::to_string(v));
  // validate() admitted `v`, so its canonical text parses back.
  return parsed ? std::move(*parsed) : json::value{};
}

} // namespace rxon::storage
