#pragma once

// Shared helpers of the storage tests: a temp dir and record makers.

#include "storage/records.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>

namespace rxon::storage::test {

using rxon::test::temp_dir;

/// "t<i>". Built by appending: GCC 12 warns falsely (-Wrestrict, PR105329)
/// on "literal" + std::string once inlined.
inline std::string task_id_of(int i) {
  std::string id = "t";
  id += std::to_string(i);
  return id;
}

inline job_record make_job(std::string id, std::string owner = "alice",
                           int64_t created_ms = 1000) {
  job_record j;
  j.job_id = std::move(id);
  j.owner = std::move(owner);
  j.metadata = json::object{{"name", "nightly"}, {"tags", json::array{1, "x"}}};
  j.created_ms = created_ms;
  return j;
}

inline task_record make_task(std::string id, std::string job = "job-1",
                             task_state state = task_state::pending,
                             int64_t created_ms = 1000) {
  task_record t;
  t.task_id = std::move(id);
  t.job_id = std::move(job);
  t.type = "resize";
  t.params = json::object{
      {"width", 640},
      {"scale", 1.5},
      {"name", "caf\xC3\xA9"},
      {"nested", json::object{{"list", json::array{nullptr, true, -7}}}}};
  t.requirements = json::object{{"gpu", json::object{{"vram_gb", 8}}}};
  t.priority = 2.25;
  t.deadline_ms = created_ms + 60'000;
  t.max_cost = 0.5;
  t.max_attempts = 4;
  t.attempts = 1;
  t.state = state;
  t.holon_id = "holon-a";
  t.lease_expiry_ms = created_ms + 30'000;
  t.not_before_ms = created_ms;
  t.origin_worker_id = "leaf-1";
  t.created_ms = created_ms;
  t.updated_ms = created_ms + 5;
  return t;
}

inline holon_record make_holon(std::string id, int64_t registered_ms = 500) {
  holon_record h;
  h.holon_id = std::move(id);
  h.registration = json::object{{"worker_id", h.holon_id},
                                {"skills", json::array{"resize"}}};
  h.registered_ms = registered_ms;
  return h;
}

inline event_record make_event(std::string task_id, std::string kind,
                               int64_t ts_ms = 2000) {
  event_record e;
  e.ts_ms = ts_ms;
  e.kind = std::move(kind);
  e.job_id = "job-1";
  e.task_id = std::move(task_id);
  e.holon_id = "holon-a";
  e.data = json::object{{"attempt", 1}};
  return e;
}

} // namespace rxon::storage::test
