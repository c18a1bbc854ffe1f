#pragma once

// Scheduling policy of the runtime's background threads (the actor
// scheduler's and the storage threads). On a small host they share the
// cores with the listener's io threads and with clients; under the default
// policy each of their wake-ups (a message, a commit to run) preempts
// whichever thread is running, often an io thread in the middle of a batch
// of sockets. SCHED_BATCH keeps their share of the CPU but lets a woken
// background thread wait for the running one's time slice: fewer context
// switches, and several messages handled per wake-up.

namespace rxon::actors {

/// Puts the calling thread under SCHED_BATCH (Linux; any user may). Returns
/// false where that is refused or not supported; the thread is unchanged.
bool use_batch_scheduling() noexcept;

/// Whether the calling thread runs under SCHED_BATCH.
bool runs_batch_scheduling() noexcept;

} // namespace rxon::actors
