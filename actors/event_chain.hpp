#pragma once

// The relay rules of events travelling up a holarchy (incumbent §1.8 step
// 5, decisions.md): bubbling_chain lists the relays an event went
// through; signatures exclude it, so relays may extend it.

#include "protocol/error.hpp"
#include "protocol/messages.hpp"

#include <optional>
#include <string>

namespace rxon::actors {

/// Appends `sender` (the authenticated relay) to the event's chain unless
/// it is the origin worker or already in the chain. Returns whether the
/// chain changed.
bool append_relay(worker_event& ev, const std::string& sender);

/// When security.identity_chain is given: non-empty, without repeats, and
/// ending with `sender` (the last node vouching for a message is the one
/// that sent it). Results and events both carry one.
status check_identity_chain(const boxed<security_context>& sec,
                            const std::string& sender);

/// Whether an event's chains are consistent for `sender`: no relay twice,
/// the origin worker never a relay; when security.identity_chain is given
/// it must be non-empty, without repeats, and end with the sender (the
/// last node vouching for the message is the one that sent it).
status check_chains(const worker_event& ev, const std::string& sender);

} // namespace rxon::actors
