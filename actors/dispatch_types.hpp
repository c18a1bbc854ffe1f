#pragma once

// Values exchanged between the dispatcher's logic and its actor.

#include "protocol/error.hpp"
#include "protocol/messages.hpp"
#include "storage/records.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rxon::actors {

/// How a new task picks among idle holons (spec: incumbent §2.4, fixed).
enum class strategy {
  standard,     ///< "default": hot skill, least loaded, cheapest, reputation
  round_robin,  ///< the holon that has waited longest
  least_loaded, ///< fewest leased tasks
  cheapest,     ///< lowest cost_per_skill for the task type
};

/// Parses "default", "round_robin", "least_loaded", "cheapest".
std::optional<strategy> parse_strategy(std::string_view name);
const char* to_string(strategy s);

struct dispatch_config {
  actors::strategy strategy = strategy::standard;
  int64_t lease_ms = 300'000;    ///< result timeout of a delivered task
  int64_t max_poll_ms = 30'000;  ///< cap on a poll's timeout
  int64_t retry_base_ms = 100;   ///< first retry backoff, doubled per try
  int64_t retry_max_ms = 30'000; ///< backoff cap
  double reputation_floor = 0.3; ///< below it a holon gets no tasks
  double reward_success = 0.001; ///< reputation per success (cap 1.0)
  double penalty_failure = 0.05; ///< per permanent failure
  double penalty_contract = 0.2; ///< per contract violation
  /// Finished tasks kept in memory (for views and late results). They
  /// leave in batches: up to 1/64 more (at most 64) gather first.
  std::size_t retain_terminal = 100'000;
  std::size_t max_tasks_per_job = 100'000;
  /// A holon is reported in effects::touched at most this often (0: at
  /// every sign of life); the runtime sets a quarter of the holon TTL.
  int64_t touch_every_ms = 0;
  /// Jobs of this owner are watched: their tasks' assignments, ends and
  /// events are reported in effects::notices (the uplink's jobs). Empty:
  /// nothing is watched.
  std::string watch_owner;
  /// false: nothing is stored (no database), so effects carry no store
  /// changes for tasks and jobs; spares a copy of every task record.
  /// orchestrator::start sets it from whether a db_path is given.
  bool record_changes = true;
};

using poll_id = uint64_t;

/// The answer to one poll: a task, nothing (timeout), or an error.
struct poll_answer {
  poll_id id = 0;
  result<std::optional<task_payload>> outcome = std::optional<task_payload>{};
};

/// A command for a connected holon (e.g. cancel_task).
struct holon_command {
  std::string holon_id;
  worker_command command;
};

/// Something that happened to a task of a watched job (dispatch_config::
/// watch_owner), for an observer outside the actors (the uplink).
struct task_notice {
  /// `recovered`: the task was reloaded from the store at start, not
  /// finished (pending again, as every lease of the previous process ended).
  enum class kind : uint8_t { assigned, finished, event, recovered };
  kind what = kind::assigned;
  /// The task as it is now (result and error once finished).
  storage::task_record task;
  /// The metadata of the task's job (the uplink keeps its parent's ids
  /// there, so they survive a restart with the store).
  json::value job_metadata;
  /// For kind::event: the event as stored, bubbling_chain extended.
  std::optional<worker_event> event;
};

/// What a dispatcher call asks its actor to carry out.
struct effects {
  std::vector<poll_answer> answers;
  storage::change_batch changes;
  std::vector<holon_command> commands;
  /// Holons seen alive (their TTL restarts).
  std::vector<std::string> touched;
  /// For the observer of watched jobs.
  std::vector<task_notice> notices;

  bool empty() const noexcept {
    return answers.empty() && changes.empty() && commands.empty()
           && touched.empty() && notices.empty();
  }
  /// Empties it for the next step. The lists keep their capacity (not the
  /// changes, which go to the writer), so a reused effects object
  /// allocates no answer list per poll.
  void clear() noexcept {
    clear_all_but_changes();
    changes = {};
  }
  /// Empties all but `changes`, which gather over several steps (see
  /// dispatcher_actor_state::result_effects).
  void clear_all_but_changes() noexcept {
    answers.clear();
    commands.clear();
    touched.clear();
    notices.clear();
  }
};

struct dispatch_stats {
  std::array<int64_t, 8> tasks_by_state{}; ///< indexed by task_state
  int64_t queued = 0;                      ///< pending and dispatchable
  int64_t parked_polls = 0;
  int64_t holons = 0;
  uint64_t dispatched = 0;
  /// Submit (or requeue) to delivery latency, in ms, cumulative buckets.
  static constexpr std::array<int64_t, 8> latency_buckets{1,   5,   10,   50,
                                                          100, 500, 1000, 5000};
  std::array<uint64_t, 9> latency_counts{}; ///< last one: above 5000
  int64_t latency_sum_ms = 0;
};

} // namespace rxon::actors
