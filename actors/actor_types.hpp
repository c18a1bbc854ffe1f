#pragma once

// Typed interfaces of the runtime's actors.

#include "actors/messages.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace rxon::actors {

/// One registered holon. If it is itself an orchestrator, it supervises the
/// holons below it, so the actor tree has the holarchy's shape.
using holon_actor
    = caf::typed_actor<caf::reacts_to<touch_atom>,      // seen alive
                       caf::reacts_to<ttl_atom>,        // TTL check timer
                       caf::reacts_to<spawn_child_msg>, // add/update a child
                       caf::reacts_to<worker_registration>, // re-registration
                       caf::reacts_to<crash_atom>>;         // fault injection

/// Owns pending tasks, parked polls, leases and command channels.
using dispatcher_actor = caf::typed_actor<
    caf::reacts_to<register_msg>, caf::reacts_to<holon_up_msg>,
    caf::reacts_to<down_atom, std::string, bool>, // holon id, lost (not failed)
    caf::reacts_to<crash_atom, std::string>,      // fault injection: kill holon
    caf::reacts_to<poll_msg>, caf::reacts_to<result_msg>,
    caf::reacts_to<heartbeat_msg>, caf::reacts_to<event_msg>,
    caf::reacts_to<return_msg>, caf::reacts_to<attach_msg>,
    caf::reacts_to<detach_atom, std::string, uint64_t>,
    caf::reacts_to<submit_msg>, caf::reacts_to<client_msg>,
    caf::reacts_to<metrics_msg>, caf::reacts_to<stats_msg>,
    caf::reacts_to<subtree_msg>, caf::reacts_to<drain_atom>,
    caf::reacts_to<tick_atom>, caf::reacts_to<held_atom>,
    caf::reacts_to<flush_atom>, caf::reacts_to<results_msg>>;

} // namespace rxon::actors
