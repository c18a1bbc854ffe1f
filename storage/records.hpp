#pragma once

// What the orchestrator persists: jobs, tasks, holon registrations and an
// event log. Times are absolute Unix milliseconds (one clock everywhere).

#include "protocol/json.hpp"
#include "protocol/shared_json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rxon::storage {

/// Task lifecycle. pending -> assigned (leased) -> running (progress seen)
/// -> one terminal state. Terminal states never change again.
enum class task_state : uint8_t {
  pending,
  assigned,
  running,
  success,
  failure,
  cancelled,
  timeout,
  quarantined,
};

constexpr bool is_terminal(task_state s) noexcept {
  return s >= task_state::success;
}

const char* to_string(task_state s) noexcept;
std::optional<task_state> parse_task_state(std::string_view s) noexcept;

struct task_record {
  std::string task_id;
  std::string job_id;
  std::string type;   ///< skill name the task needs
  json::value params; ///< free-form
  /// Resources JSON, or null. Shared: the tasks of one class (and their
  /// writes) hold one copy, encoded once.
  json::shared_value requirements;
  json::shared_value skill; ///< SkillInfo requirement JSON, or null; shared
  double priority = 0;
  std::optional<int64_t> deadline_ms; ///< absolute; past it the task times out
  std::optional<double> max_cost;
  int32_t max_attempts = 3;
  int32_t attempts = 0; ///< deliveries so far
  task_state state = task_state::pending;
  std::string holon_id;         ///< current or last holon
  int64_t lease_expiry_ms = 0;  ///< while assigned/running
  int64_t not_before_ms = 0;    ///< retry backoff: not dispatched before
  json::value result;           ///< TaskResult.data on success
  json::value error;            ///< TaskError JSON on failure
  std::string origin_worker_id; ///< the leaf that ran it
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  friend bool operator==(const task_record&, const task_record&) = default;
};

/// The part of a stored task that changes after submission. Applying it
/// rewrites those columns only (SQLite: a narrow task_states row; the
/// params, requirements and skill JSON are neither re-sent nor re-encoded). The
/// task must be stored already, or be put earlier in the same batch.
struct task_update {
  std::string task_id;
  task_state state = task_state::pending;
  int32_t attempts = 0;
  std::string holon_id;
  int64_t lease_expiry_ms = 0;
  int64_t not_before_ms = 0;
  json::value result;
  json::value error;
  std::string origin_worker_id;
  int64_t updated_ms = 0;
  friend bool operator==(const task_update&, const task_update&) = default;

  /// The mutable fields of `t`.
  static task_update of(const task_record& t);
  /// Writes these fields into `t`.
  void apply_to(task_record& t) const&;
  /// As above, moving the strings and JSON out of this update.
  void apply_to(task_record& t) &&;
};

struct job_record {
  std::string job_id;
  std::string owner; ///< the client identity that created it
  json::value metadata;
  int64_t created_ms = 0;
  friend bool operator==(const job_record&, const job_record&) = default;
};

/// A job whose every task is terminal, for good (tasks never leave a
/// terminal state and a job never gains tasks). Recovery reads no task of
/// such a job, so the store keeps no per-task index of unfinished tasks.
struct job_end {
  std::string job_id;
  int64_t finished_ms = 0;
  friend bool operator==(const job_end&, const job_end&) = default;
};

struct holon_record {
  std::string holon_id;
  std::string parent_id;    ///< empty for holons of this orchestrator
  json::value registration; ///< WorkerRegistration JSON
  int64_t registered_ms = 0;
  friend bool operator==(const holon_record&, const holon_record&) = default;
};

struct event_record {
  int64_t ts_ms = 0;
  std::string kind; ///< e.g. "task_requeued", "holon_lost", "worker_event"
  std::string job_id;
  std::string task_id;
  std::string holon_id;
  json::value data;
  friend bool operator==(const event_record&, const event_record&) = default;
};

/// Changes applied atomically, in one transaction. Puts are upserts of the
/// whole row; task updates rewrite the mutable columns of a stored task.
/// The `= {}` initializers let callers write designated initializers such as
/// `{.tasks = {t}}` under -Wextra. Several batches are committed together
/// as a change_group.
struct change_batch {
  std::vector<job_record> jobs = {};
  std::vector<task_record> tasks = {};
  std::vector<task_update> task_updates = {}; ///< applied after `tasks`
  std::vector<job_end> finished_jobs = {};    ///< applied after the tasks
  std::vector<holon_record> holons = {};
  std::vector<std::string> removed_holons = {};
  std::vector<event_record> events = {};

  bool empty() const noexcept {
    return jobs.empty() && tasks.empty() && task_updates.empty()
           && finished_jobs.empty() && holons.empty() && removed_holons.empty()
           && events.empty();
  }
};

/// Several batches seen as one that means the same as applying them one
/// after the other, by pointer: a group of submissions commits without
/// moving its records into one batch. The batches must outlive the group.
/// Within a group every category applies after the one before (jobs,
/// tasks, updates, ...), so add() drops what a later batch overrides: the
/// updates of a task it puts again, the removal of a holon it puts again,
/// the put of a holon it removes.
struct change_group {
  std::vector<const job_record*> jobs;
  std::vector<const task_record*> tasks;
  std::vector<const task_update*> task_updates; ///< applied after `tasks`
  std::vector<const job_end*> finished_jobs;
  std::vector<const holon_record*> holons;
  std::vector<const std::string*> removed_holons;
  std::vector<const event_record*> events;

  bool empty() const noexcept {
    return jobs.empty() && tasks.empty() && task_updates.empty()
           && finished_jobs.empty() && holons.empty() && removed_holons.empty()
           && events.empty();
  }
  /// Adds `b`'s records after those added so far.
  void add(const change_batch& b);
  /// A copy of the records, as one batch.
  change_batch materialize() const;
};

} // namespace rxon::storage
