#pragma once

// Whether the storage writer is loaded enough that a group commit should
// gather longer. Pure bookkeeping fed by the writer thread
// (storage/writer.cpp) with the durations it measured; no clock of its own.

#include <chrono>

namespace rxon::storage {

class commit_pacing {
public:
  using duration = std::chrono::steady_clock::duration;

  /// The writer waited `d` for a first change to arrive.
  void idled(duration d) noexcept;
  /// The writer committed a group, callbacks included, in `d`.
  void committed(duration d) noexcept;

  /// True once the writer spent at least half of the recent time
  /// committing. Then it, and the CPU it shares, are what limits
  /// throughput, and larger groups pay: a commit's fixed cost and the
  /// pages it writes are shared by more changes. Below that, a wait only
  /// adds to every acknowledgement (a closed-loop client waits on it).
  bool loaded() const noexcept {
    return busy_ > duration::zero() && busy_ >= idle_;
  }

private:
  void decay() noexcept;

  duration busy_{}; ///< decayed sum of commit times
  duration idle_{}; ///< decayed sum of waits for a first change
};

} // namespace rxon::storage
