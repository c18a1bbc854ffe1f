#pragma once

// The task writes of the SQLite store (private to storage/): whole-row
// upserts and narrow state updates, both batched into multi-row statements
// because one statement step per row costs cursor opens on every b-tree.
// Puts foresee the task_seq SQLite gives each new task and remember those
// of the latest tasks (task_seq_window), so a state update of one keys
// task_states directly instead of seeking task_base's task_id index first.

#include "protocol/error.hpp"
#include "storage/records.hpp"
#include "storage/sqlite_handle.hpp"
#include "storage/task_seq_window.hpp"

#include <array>
#include <cstdint>
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

  /// The transaction that wrote the last puts and updates was rolled back:
  /// the task_seq foreseen for its new tasks are not stored.
  void rolled_back() noexcept;

  /// Upserts whole rows, in order (the last put of an id wins). A task
  /// whose job is not stored fails with errc::conflict naming both.
  status put(const std::vector<const task_record*>& tasks);

  /// Applies narrow updates, in order (the last update of an id wins). An
  /// update of a task that is not stored fails with errc::conflict naming
  /// the task.
  status update(const std::vector<const task_update*>& updates);

private:
  /// An update of a task whose task_seq is known.
  struct keyed_update {
    int64_t task_seq;
    const task_update* update;
  };

  /// Foresees the task_seq of each task of a put: a task this connection
  /// knows keeps its own; any other is presumed new and takes the next
  /// number, in order.
  status predict_seqs(const std::vector<const task_record*>& tasks);
  /// After the put: if a presumed-new task was in fact stored, forgets
  /// the numbers foreseen for this put.
  void confirm_seqs();
  void bind_put(sqlite3_stmt* s, int base, const task_record& t,
                std::string* bufs);
  void bind_update(sqlite3_stmt* s, int base, const task_update& u,
                   std::string* bufs);
  void bind_keyed_update(sqlite3_stmt* s, int base, const keyed_update& k,
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
  /// Binds columns 2..10 of an update row (the first names the task).
  void bind_update_state(sqlite3_stmt* s, int base, const task_update& u,
                         std::string* bufs, update_slot& slot);
  status put_one(const task_record& t);
  status update_one(const task_update& u);
  status keyed_update_one(const keyed_update& k);
  /// The jobs of `tasks` are stored (each job looked up once).
  status check_jobs(const std::vector<const task_record*>& tasks);
  /// Binds rows with `bind` into the statements of `stmts` (one per entry
  /// of `sizes`); a failed statement is redone row by row with `one`.
  template <class Row, class Bind, class One>
  status write(const std::vector<Row>& rows,
               std::array<stmt_ptr, sizes.size()>& stmts, int params,
               std::size_t bufs_per_row, Bind bind, One one, const char* what);

  sqlite3* db_ = nullptr;
  std::array<stmt_ptr, sizes.size()> puts_;    ///< one per entry of sizes
  std::array<stmt_ptr, sizes.size()> updates_; ///< one per entry of sizes
  /// As updates_, for rows that name their task_seq.
  std::array<stmt_ptr, sizes.size()> keyed_updates_;
  stmt_ptr job_exists_;
  /// One per entry of sizes, by row slot.
  std::array<std::array<put_slot, chunk>, sizes.size()> put_slots_{};
  /// One per entry of sizes, by row slot.
  std::array<std::array<update_slot, chunk>, sizes.size()> update_slots_{};
  /// As update_slots_, for keyed_updates_.
  std::array<std::array<update_slot, chunk>, sizes.size()>
      keyed_update_slots_{};
  /// The task_seq of tasks this connection put lately. A task not held,
  /// e.g. one put before a restart, is found through the task_id index.
  task_seq_window seqs_;
  stmt_ptr next_seq_; ///< the task_seq SQLite gives the next insert
  /// Of the last put: how many of its presumed-new tasks seqs_ took, and
  /// the number foreseen for the last of them.
  std::size_t remembered_ = 0;
  int64_t last_predicted_ = 0;
  /// An update's rows, split by whether their task_seq is known (reused).
  std::vector<keyed_update> keyed_;
  std::vector<const task_update*> unkeyed_;
  /// JSON text bound with SQLITE_STATIC: kept until the statement ran.
  std::array<std::string, chunk * 5> bufs_;
};

} // namespace rxon::storage::sqlite
