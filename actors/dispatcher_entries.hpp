#pragma once

// Private bookkeeping of dispatcher_state (only its .cpp files include it).

#include "actors/dispatcher_state.hpp"

#include <string>
#include <string_view>

namespace rxon::actors {

/// A TaskError object as stored with a task.
inline json::value task_error_json(std::string_view code, std::string message) {
  return json::object{{"code", std::string{code}},
                      {"message", std::move(message)}};
}

struct dispatcher_state::job_entry {
  storage::job_record rec;
  std::vector<uint64_t> task_seqs; ///< its tasks, in submission order
  std::array<int32_t, 8> counts{}; ///< tasks per state
  std::size_t evicted = 0;         ///< finished tasks no longer in memory
  /// Reloaded at start with only its unfinished tasks: the store has the
  /// whole job, so views come from there.
  bool partial = false;
  bool watched = false; ///< owner is dispatch_config::watch_owner

  /// Its tasks (in memory) not yet in a terminal state.
  int32_t open_tasks() const noexcept {
    using storage::task_state;
    return counts[static_cast<size_t>(task_state::pending)]
           + counts[static_cast<size_t>(task_state::assigned)]
           + counts[static_cast<size_t>(task_state::running)];
  }
};

struct dispatcher_state::task_entry {
  // First, so that a lookup by id touches one cache line of the entry.
  uint64_t seq = 0;
  int64_t id_ms = -1;   ///< of an id minted here; -1: restored (foreign)
  uint32_t id_tail = 0; ///< its random digits
  storage::task_record rec;
  class_id cls = 0;
  bool queued = false; ///< in its class queue
  bool ran = false;    ///< a progress event was seen
  bool stored = false; ///< put once; later changes are narrow updates
  /// After a transient failure or a lost lease: prefer a holon other than
  /// the last one (rec.holon_id). A flag, not a copy of the id: 32 bytes
  /// less put the entry in jemalloc's 512-byte class instead of 640.
  bool avoid_last_holon = false;
  job_entry* job = nullptr;
  holon_entry* holder = nullptr; ///< while leased
  uint32_t queue_gen = 0;        ///< bumped when it leaves its queue
  uint32_t lease_slot = 0;       ///< index in holder->leases
};

struct dispatcher_state::holon_entry {
  std::string id;
  std::string worker_type;
  profile_id profile = 0;
  double reputation = 1.0;
  uint32_t load = 0; ///< leased tasks
  /// Leased tasks; each knows its index here (O(1) removal, no nodes).
  std::vector<task_entry*> leases;
  std::vector<std::string> hot;
  std::vector<std::string> pending_cancels; ///< reported in the next heartbeat
  /// Its parked polls (a handful at most): removing the holon answers them
  /// without a scan over every parked poll.
  std::vector<poll_id> parked;
  std::string skills_hash;
  std::string status = "idle";
  int64_t capacity = 1;      ///< task slots (an orchestrator: its subtree's)
  bool orchestrator = false; ///< worker_type "orchestrator"
  int64_t registered_ms = 0;
  int64_t last_seen_ms = 0;
  int64_t last_touch_ms = 0; ///< last time reported in effects::touched
};

struct dispatcher_state::parked_poll {
  poll_id id = 0;
  std::string holon;
  holon_entry* h = nullptr;
  int64_t expires_ms = 0;
  /// Skills this poll counts as idle in dispatcher_state::idle_by_skill_.
  std::vector<std::string_view> counted;
};

} // namespace rxon::actors
