#pragma once

#include "actors/actor_types.hpp"
#include "actors/dispatcher_state.hpp"

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace rxon::storage {
class writer;
} // namespace rxon::storage

namespace rxon::actors {

struct dispatcher_options {
  dispatch_config dispatch;
  int64_t holon_ttl_ms = 120'000;
  std::function<int64_t()> clock;    ///< Unix ms; injectable for tests
  storage::writer* writer = nullptr; ///< null: in-memory only
  /// Uncommitted changes at which new jobs wait for the writer to catch up.
  std::size_t max_write_backlog = 16384;
  /// Result steps handed to the writer together at most (see
  /// dispatcher_actor_state::result_effects).
  std::size_t max_gathered_results = 64;
  uint64_t seed = 0;
  /// Receives the notices of watched jobs (dispatch.watch_owner), on the
  /// actor's thread: it must not block.
  std::function<void(task_notice&&)> observer;
};

/// The actor half of the dispatcher: unpacks messages, calls
/// dispatcher_state, carries out its effects (answers, commits, commands).
struct dispatcher_actor_state {
  static inline const char* name = "rxon.dispatcher";

  struct holon_link {
    holon_actor handle;
    std::string parent;
    int64_t last_touch_ms = 0;
  };
  struct sink_entry {
    uint64_t token = 0;
    command_sink sink;
  };

  std::unique_ptr<dispatcher_state> logic;
  dispatcher_options opts;
  holon_actor root;
  std::unordered_map<poll_id, callback<std::optional<task_payload>>> polls;
  poll_id next_poll = 1;
  std::unordered_map<std::string, holon_link> holons;
  std::unordered_map<std::string, std::vector<std::string>> children;
  std::unordered_map<std::string, sink_entry> sinks;
  /// Registrations waiting for their holon_up_msg, by request id.
  std::unordered_map<uint64_t, callback<json::value>> registrations;
  uint64_t next_registration = 1;
  int64_t tick_at = INT64_MAX;
  /// subtree_msg requests waiting for an idle poll (the uplink's).
  struct idle_waiter {
    int64_t deadline_ms = 0;
    uint64_t known_version = 0;
    callback<subtree_view> done;
  };
  std::vector<idle_waiter> idle_waiters;
  /// Jobs submitted while the writer was backlogged, in arrival order.
  /// Like parked polls, they get no answer if the actor stops first.
  std::deque<submit_msg> held_submits;
  /// The effects of a poll step, reused (see effects::clear).
  effects poll_effects;
  /// Result steps not yet handed to the writer: their changes gather in
  /// `result_effects.changes`, in step order, and their replies here. They
  /// go as one submission (one queue item, one callback) once the mailbox
  /// reaches the flush message sent with the first of them, once
  /// `max_gathered_results` gathered, or before anything else goes to the
  /// writer, so the writer still sees every change in step order.
  effects result_effects;
  std::vector<std::pair<callback<json::value>, json::value>> gathered_replies;
  bool flush_sent = false;
  ~dispatcher_actor_state();
};

/// Behaviour of the dispatcher actor; `logic` may come pre-loaded
/// (recovery). The root holon actor is spawned by the caller and handed
/// over with a set_root message (see runtime.cpp).
dispatcher_actor::behavior_type
dispatcher(dispatcher_actor::stateful_pointer<dispatcher_actor_state> self,
           std::unique_ptr<dispatcher_state> logic, dispatcher_options opts);

/// Builds the Prometheus text exposition of dispatcher statistics.
std::string prometheus_text(const dispatch_stats& s);

} // namespace rxon::actors
