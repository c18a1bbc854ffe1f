#pragma once

// The task writes of the SQLite store (private to storage/): whole-row
// upserts and narrow state updates, both batched into multi-row statements
// because one statement step per row costs cursor opens on every b-tree.

#include "protocol/error.hpp"
#include "storage/records.hpp"
#include "storage/sqlite_handle.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace rxon::storage::sqlite {

class task_writes {
public:
  /// Rows per multi-row statement, largest first: a batch goes out in the
  /// largest statements that fit, then smaller ones (a group of 30 updates
  /// is 16 + 4 + 4 + 4 + 1 + 1 rows, 6 statements instead of 30). Each
  /// statement opens its cursors once. At most 64 * 20 = 1280 parameters,
  /// well below SQLite's limit of 32766.
  static constexpr std::array<std::size_t, 4> sizes = {64, 16, 4, 1};
  static constexpr std::size_t chunk = sizes.front();

  /// Prepares the statements on `db`, which must outlive this object.
  status prepare(sqlite3* db);

  /// Upserts whole rows, in order (the last put of an id wins). A task
  /// whose job is not stored fails with errc::conflict naming both.
  status put(const std::vector<const task_record*>& tasks);

  /// Applies narrow updates, in order (the last update of an id wins). An
  /// update of a task that is not stored fails with errc::conflict naming
  /// the task.
  status update(const std::vector<const task_update*>& updates);

private:
  void bind_put(sqlite3_stmt* s, int base, const task_record& t,
                std::string* bufs);
  void bind_update(sqlite3_stmt* s, int base, const task_update& u,
                   std::string* bufs);
  /// What a row slot of a put statement holds from its last binding, for
  /// the columns bound by value or from storage of its own (see bind_put).
  struct put_slot {
    bool bound = false; ///< the fields below are valid
    /// The eight state columns hold a submission's defaults, bound from
    /// static storage.
    bool fresh = false;
    std::string job_id; ///< bound from here
    int32_t max_attempts = 0;
    uint64_t priority_bits = 0; ///< exact: -0.0 is not 0.0
    std::optional<int64_t> deadline_ms;
    std::optional<uint64_t> max_cost_bits;
    /// Bound from their text, which these copies keep alive.
    json::shared_value requirements;
    json::shared_value skill;
    int64_t created_ms = 0;
    int64_t updated_ms = 0;
  };
  put_slot& put_slot_of(sqlite3_stmt* s, int base) noexcept;
  /// What a row slot of an update statement holds from its last binding,
  /// for the columns bound by value or from static storage (see
  /// bind_update).
  struct update_slot {
    bool bound = false; ///< the fields below are valid
    task_state state = task_state::pending;
    int32_t attempts = 0;
    int64_t lease_expiry_ms = 0;
    int64_t not_before_ms = 0;
    int64_t updated_ms = 0;
    bool result_null = false;
    bool error_null = false;
    bool origin_empty = false;
  };
  update_slot& update_slot_of(sqlite3_stmt* s, int base) noexcept;
  status put_one(const task_record& t);
  status update_one(const task_update& u);
  /// The jobs of `tasks` are stored (each job looked up once).
  status check_jobs(const std::vector<const task_record*>& tasks);
  /// Binds rows with `bind` into the statements of `stmts` (one per entry
  /// of `sizes`); a failed statement is redone row by row with `one`.
  template <class Rec, class Bind, class One>
  status write(const std::vector<const Rec*>& rows,
               std::array<stmt_ptr, sizes.size()>& stmts, int params,
               std::size_t bufs_per_row, Bind bind, One one, const char* what);

  sqlite3* db_ = nullptr;
  std::array<stmt_ptr, sizes.size()> puts_;    ///< one per entry of sizes
  std::array<stmt_ptr, sizes.size()> updates_; ///< one per entry of sizes
  stmt_ptr job_exists_;
  /// One per entry of sizes, by row slot.
  std::array<std::array<put_slot, chunk>, sizes.size()> put_slots_{};
  /// One per entry of sizes, by row slot.
  std::array<std::array<update_slot, chunk>, sizes.size()> update_slots_{};
  /// JSON text bound with SQLITE_STATIC: kept until the statement ran.
  std::array<std::string, chunk * 5> bufs_;
};

} // namespace rxon::storage::sqlite
