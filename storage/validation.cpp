#include "storage/validation.hpp"

#include "storage/store.hpp"

#include <cmath>
#include <string>
#include <string_view>
#include <unordered_set>

namespace rxon::storage {

namespace {

error invalid(const std::string& what, const std::string& id, const char* field,
              const std::string& problem) {
  return error{errc::invalid_value,
               what + " '" + id + "': " + field + ": " + problem};
}

/// Strict UTF-8 (RFC 3629: no overlongs, surrogates or code points above
/// U+10FFFF), as json::parse demands when the column is read back.
bool valid_utf8(std::string_view s) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  auto end = p + s.size();
  while (p < end) {
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t n;
    unsigned lo = 0x80, hi = 0xBF; // range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      lo = c == 0xE0 ? 0xA0 : 0x80;
      hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      lo = c == 0xF0 ? 0x90 : 0x80;
      hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) <= n || p[1] < lo || p[1] > hi)
      return false;
    for (std::size_t k = 2; k <= n; ++k)
      if ((p[k] & 0xC0) != 0x80)
        return false;
    p += n + 1;
  }
  return true;
}

/// Depth is bounded by check_encodable, which runs first.
bool strings_valid(const json::value& v) noexcept {
  switch (v.type()) {
  case json::value::kind::string:
    return valid_utf8(v.as_string());
  case json::value::kind::array:
    for (const auto& x : v.as_array())
      if (!strings_valid(x))
        return false;
    return true;
  case json::value::kind::object:
    for (const auto& m : v.as_object())
      if (!valid_utf8(m.key) || !strings_valid(m.val))
        return false;
    return true;
  default:
    return true;
  }
}

/// Whether `v` passes both json::check_encodable and strings_valid, in one
/// walk: the common case. Conservative (a double of magnitude 2^63 or more
/// counts as failing): a false answer only means checking again, with the
/// two walks that name the problem.
bool quick_storable(const json::value& v, int depth) noexcept {
  switch (v.type()) {
  case json::value::kind::number:
    return std::abs(v.as_double()) < 0x1p63;
  case json::value::kind::string:
    return valid_utf8(v.as_string());
  case json::value::kind::array:
    if (depth + 1 > json::max_depth)
      return v.as_array().empty();
    for (const auto& x : v.as_array())
      if (!quick_storable(x, depth + 1))
        return false;
    return true;
  case json::value::kind::object:
    for (const auto& m : v.as_object()) {
      if (!valid_utf8(m.key))
        return false;
      if (m.val.is_null()) // dropped when written: no depth of its own
        continue;
      if (depth + 1 > json::max_depth || !quick_storable(m.val, depth + 1))
        return false;
    }
    return true;
  default:
    return true;
  }
}

status check_json(const std::string& what, const std::string& id,
                  const char* field, const json::value& v) {
  // Most of a task's JSON fields are null (result and error until it
  // ends): five checks per task.
  if (v.is_null() || quick_storable(v, 0))
    return {};
  if (auto st = json::check_encodable(v); !st)
    return invalid(what, id, field, st.error().message);
  if (!strings_valid(v))
    return invalid(what, id, field, "a string is not valid UTF-8");
  return {};
}

/// Shared JSON (json::shared_value) already found valid in this batch: the
/// tasks of one class carry one requirements tree, checked once per batch
/// instead of once per task.
class checked_shared {
public:
  status check(const std::string& what, const std::string& id,
               const char* field, const json::shared_value& v) {
    if (v.is_null() || seen_.count(v.identity()) > 0)
      return {};
    if (auto st = check_json(what, id, field, v.get()); !st)
      return st;
    seen_.insert(v.identity());
    return {};
  }

private:
  std::unordered_set<const void*> seen_;
};

status check_task(const task_record& t, checked_shared& shared) {
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
       {std::pair{"params", &t.params}, std::pair{"result", &t.result},
        std::pair{"error", &t.error}})
    if (auto st = check_json(what, t.task_id, field, *v); !st)
      return st;
  if (auto st = shared.check(what, t.task_id, "requirements", t.requirements);
      !st)
    return st;
  return shared.check(what, t.task_id, "skill", t.skill);
}

status check_update(const task_update& u) {
  static const std::string what = "task";
  if (u.task_id.empty())
    return error{errc::invalid_value, "task: task_id: empty"};
  if (u.state > task_state::quarantined)
    return invalid(what, u.task_id, "state", "unknown value");
  if (auto st = check_json(what, u.task_id, "result", u.result); !st)
    return st;
  return check_json(what, u.task_id, "error", u.error);
}

} // namespace

status store::apply(const change_batch& batch) {
  if (auto st = validate(batch); !st)
    return st;
  return apply_valid(batch);
}

status store::apply_group(const change_group& group) {
  return apply_valid(group.materialize());
}

status validate(const change_batch& batch) {
  for (const auto& j : batch.jobs) {
    if (j.job_id.empty())
      return error{errc::invalid_value, "job: job_id: empty"};
    if (auto st = check_json("job", j.job_id, "metadata", j.metadata); !st)
      return st;
  }
  checked_shared shared;
  for (const auto& t : batch.tasks)
    if (auto st = check_task(t, shared); !st)
      return st;
  for (const auto& u : batch.task_updates)
    if (auto st = check_update(u); !st)
      return st;
  for (const auto& j : batch.finished_jobs)
    if (j.job_id.empty())
      return error{errc::invalid_value, "finished job: job_id: empty"};
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
