#pragma once

// Messages between the facade, the dispatcher actor and holon actors.
//
// Requests from the network layer carry a completion callback, so they are
// local by nature and whitelisted as unsafe message types. What holon and
// supervisor actors exchange among themselves (registrations, commands,
// liveness) is plain data, so a subtree could later run remotely.

#include "actors/dispatch_types.hpp"
#include "actors/orchestrator_api.hpp"
#include "actors/subtree.hpp"
#include "actors/wire_inspect.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rxon::actors {

// -- atoms (CAF 0.17: at most 10 characters) ----------------------------------

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using touch_atom = caf::atom_constant<caf::atom("touch")>;
using ttl_atom = caf::atom_constant<caf::atom("ttl")>;
using down_atom = caf::atom_constant<caf::atom("holondown")>;
using detach_atom = caf::atom_constant<caf::atom("detach")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
/// Retries jobs held while the storage writer was backlogged.
using held_atom = caf::atom_constant<caf::atom("heldjobs")>;
/// Hands the gathered result steps to the storage writer.
using flush_atom = caf::atom_constant<caf::atom("flushres")>;
using crash_atom = caf::atom_constant<caf::atom("crash")>;

// -- requests from the facade (local: they carry callbacks) -------------------

struct register_msg {
  worker_registration reg;
  std::string parent_id; ///< empty: a direct holon of this orchestrator
  callback<json::value> done;
};

struct poll_msg {
  poll_request req;
  callback<std::optional<task_payload>> done;
};

struct result_msg {
  std::string worker_id;
  task_result res;
  callback<json::value> done;
};

/// Many results in one message (orchestrator::post_results); each item is
/// handled as a result_msg would be, in order.
struct results_msg {
  std::vector<result_msg> items;
};

struct heartbeat_msg {
  std::string worker_id;
  std::optional<rxon::heartbeat> hb;
  callback<json::value> done;
};

struct event_msg {
  std::string worker_id;
  worker_event ev;
  callback<json::value> done;
};

struct return_msg {
  std::string worker_id;
  std::string task_id;
};

struct submit_msg {
  job_spec spec;
  callback<job_ack> done;
};

/// A read-only or cancel request on jobs/tasks from the client API.
struct client_msg {
  enum kind_t {
    get_job,
    get_task,
    list_jobs,
    cancel_job,
    cancel_task,
    list_holons,
    holarchy,
    task_events,
  } kind;
  std::string owner;
  std::string id;
  job_query query;
  callback<json::value> done;
};

struct metrics_msg {
  callback<std::string> done;
};

struct stats_msg {
  callback<dispatch_stats> done;
};

struct subtree_msg {
  uint64_t known_version = 0;
  /// > 0: answer once a poll is idle (or the holons changed), at the
  /// latest after this many ms.
  int64_t wait_ms = 0;
  callback<subtree_view> done;
};

struct attach_msg {
  std::string worker_id;
  uint64_t token = 0;
  command_sink sink;
};

// -- between holon actors and the dispatcher ----------------------------------
//
// Plain data with inspect(), so that they can cross a CAF network link.
// Replies are correlated by `request` (the dispatcher keeps the callback).

/// A parent holon actor spawned (or restarted) `holon` for `reg`.
struct holon_up_msg {
  worker_registration reg;
  std::string parent_id;
  caf::actor holon;
  bool restarted = false;
  uint64_t request = 0; ///< from spawn_child_msg; 0: nobody waits
};

/// A command for the holon's worker (e.g. cancel_task).
struct command_msg {
  worker_command command;
};

/// Asks a holon actor to spawn or update a child holon.
struct spawn_child_msg {
  worker_registration reg;
  uint64_t request = 0; ///< echoed in holon_up_msg; 0: nobody waits
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, holon_up_msg& x) {
  return f(caf::meta::type_name("rxon.holon_up"), x.reg, x.parent_id, x.holon,
           x.restarted, x.request);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, command_msg& x) {
  return f(caf::meta::type_name("rxon.command"), x.command);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, spawn_child_msg& x) {
  return f(caf::meta::type_name("rxon.spawn_child"), x.reg, x.request);
}

} // namespace rxon::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::register_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::poll_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::result_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::results_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::heartbeat_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::event_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::return_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::submit_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::client_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::metrics_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::attach_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::stats_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rxon::actors::subtree_msg)
