#pragma once

// The storage actor: one thread owns the store and applies submitted change
// batches in group commits (up to max_delay or max_changes per
// transaction), so durability does not cost one transaction per change and
// callers never wait on disk. Completion callbacks run on the writer thread
// after the commit; callers hop back to their own executor from there.

#include "storage/store.hpp"

#include <chrono>
#include <functional>
#include <memory>

namespace rxon::storage {

struct writer_options {
  std::chrono::microseconds max_delay{2000};
  std::size_t max_changes = 4096;
  /// With max_delay 0: how old a group may get while changes keep
  /// arriving, once the writer is busy (see writer.cpp, take). 0: commit
  /// whatever is queued at once.
  std::chrono::microseconds busy_gather{0};
  /// A gathering group commits once no change arrived for this long.
  std::chrono::microseconds quiet_gap{100};
  /// Once nothing was submitted for this long, the writer runs the store's
  /// housekeeping (store::idle) before it waits on.
  std::chrono::milliseconds idle_after{50};
  /// Runs first on the writer thread, e.g. to set its scheduling policy.
  std::function<void()> thread_init{};
};

class writer {
public:
  using done_fn = std::function<void(const status&)>;

  writer(std::unique_ptr<store> st, writer_options opts = {});
  ~writer(); ///< Commits everything submitted, then joins.

  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  /// Queues changes; `done` (optional) runs once they are committed or the
  /// transaction failed. Never blocks on I/O.
  void submit(change_batch batch, done_fn done = {});

  /// Runs `fn` on the writer thread after every change submitted before it
  /// is committed (read-your-writes).
  void read(std::function<void(store&)> fn);

  /// Blocks until everything submitted so far is committed, then runs the
  /// store's housekeeping (store::idle; the caller waits anyway, e.g. at
  /// shutdown or after a bulk of registrations). Never call it from a
  /// callback or a read function (they run on the writer thread).
  void flush();

  /// Commits so far (for metrics and benchmarks).
  uint64_t commits() const noexcept;

  /// Changes submitted but not yet taken into a transaction; the queue is
  /// unbounded, so callers use this for backpressure and metrics.
  std::size_t queued_changes() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace rxon::storage
