#pragma once

// Shared helpers of the storage tests: a temp dir and record makers.

#include "storage/records.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>

namespace rxon::storage::test {

/// A fresh directory under the system temp dir, removed with its contents.
class temp_dir {
public:
  temp_dir() {
    std::string tmpl
        = (std::filesystem::temp_directory_path() / "rxon-storage-XXXXXX")
              .string();
    if (::mkdtemp(tmpl.data()) != nullptr)
      path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  bool ok() const { return !path_.empty(); }
  std::string file(const std::string& name) const {
    return (path_ / name).string();
  }

private:
  std::filesystem::path path_;
};

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
