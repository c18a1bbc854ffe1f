#pragma once

#include "protocol/error.hpp"
#include "storage/records.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rxon::storage {

/// Persistent state of one orchestrator. Implementations are not
/// thread-safe: one owner thread (see writer) calls them.
class store {
public:
  virtual ~store() = default;

  // -- modifiers --------------------------------------------------------------

  /// Validates, then applies every change in one transaction: all or
  /// nothing.
  status apply(const change_batch& batch);
  /// As apply() for a batch validate() already admitted (the writer
  /// validates each submission once, on the submitting thread).
  virtual status apply_valid(const change_batch& batch) = 0;
  /// As apply_valid() for the batches of `group`, read in place (the
  /// writer's commits). By default a copy of them is applied as one batch.
  virtual status apply_group(const change_group& group);
  /// The owner thread has had nothing to do for a while: housekeeping that
  /// would stall a busy moment goes here (SQLite: restarting the WAL).
  virtual void idle() {}

  // -- inspectors -------------------------------------------------------------

  /// Every task that is not terminal (crash recovery).
  virtual result<std::vector<task_record>> unfinished_tasks() = 0;
  virtual result<std::optional<task_record>> task(const std::string& id) = 0;
  virtual result<std::optional<job_record>> job(const std::string& id) = 0;
  virtual result<std::vector<task_record>>
  tasks_of_job(const std::string& job_id) = 0;
  /// Jobs of `owner` (all owners when empty), newest first.
  virtual result<std::vector<job_record>>
  jobs(const std::string& owner, std::size_t limit, std::size_t offset) = 0;
  virtual result<std::vector<holon_record>> holons() = 0;
  /// Number of tasks per state.
  virtual result<std::map<task_state, int64_t>> task_counts() = 0;
  /// Number of tasks per state in one job, without reading the tasks
  /// (job listings need only the counts).
  virtual result<std::map<task_state, int64_t>>
  task_counts_of_job(const std::string& job_id) = 0;
  virtual result<std::vector<event_record>> events(const std::string& task_id)
      = 0;
};

enum class sync_mode { normal, full };

struct sqlite_options {
  std::string path; ///< file path, or ":memory:"
  sync_mode synchronous = sync_mode::normal;
  /// Runs first on each thread the store starts (its WAL checkpointer),
  /// e.g. to set that thread's scheduling policy.
  std::function<void()> thread_init{};
  /// A reader of a database that a store opened for writing (e.g. an
  /// inspection while the orchestrator runs): the file must exist at the
  /// latest schema version, and writes fail. Only one store at a time may
  /// open a file for writing; readers are not counted.
  bool read_only = false;
};

/// SQLite (WAL) store; migrates the schema on open.
result<std::unique_ptr<store>> open_sqlite_store(const sqlite_options& opts);

/// The in-memory reference twin with identical behaviour.
std::unique_ptr<store> make_memory_store();

} // namespace rxon::storage
