#pragma once

// What a simulation run measured, and how it is printed (text and JSON).

#include "protocol/json.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rxon::runtime::simulate {

/// A log-bucketed latency histogram (about 6% resolution), milliseconds.
class latency_histogram {
public:
  latency_histogram();
  void add(int64_t ms);
  uint64_t count() const noexcept { return count_; }
  /// The upper bound of the bucket holding quantile q (0 when empty).
  int64_t quantile(double q) const;
  int64_t max() const noexcept { return max_; }
  /// Bucket upper bounds and counts (for charts).
  const std::vector<int64_t>& bounds() const noexcept;
  const std::vector<uint64_t>& counts() const noexcept { return counts_; }

private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  int64_t max_ = 0;
};

struct level_summary {
  int level = 0;
  uint64_t holons = 0;
  uint64_t leaves = 0;
  uint64_t completed = 0;    ///< by holons on this level
  latency_histogram latency; ///< submit to accepted result
  double util_mean = 0;      ///< busy share of the subtree's leaves, per holon
  double util_min = 0;
  double util_max = 0;
};

struct summary {
  // -- deterministic: a pure function of options and seed ---------------------
  uint64_t seed = 0;
  uint64_t holons = 0;
  uint64_t leaves = 0;
  uint64_t tasks = 0; ///< submitted
  uint64_t completed = 0;
  uint64_t failed = 0;   ///< terminal without success (attempts exhausted)
  uint64_t pending = 0;  ///< still queued or leased at the end
  uint64_t lost = 0;     ///< submitted, neither completed, failed nor pending
  uint64_t requeues = 0; ///< deliveries of a task after its first
  uint64_t crashes = 0;
  uint64_t dropped_results = 0;
  uint64_t subtrees_lost = 0;
  uint64_t holons_lost = 0;
  uint64_t rescued = 0; ///< in flight on a lost subtree, completed elsewhere
  uint64_t reregistrations = 0;
  int64_t sim_ms = 0;
  latency_histogram latency;
  std::vector<level_summary> levels;
  /// Completions per simulated second.
  std::vector<uint32_t> throughput;

  // -- measured on this machine ----------------------------------------------
  double wall_s = 0;
  double setup_s = 0;     ///< of wall_s: starting and registering the holarchy
  double cpu_s = 0;       ///< user + system CPU of the process (shared machine)
  uint64_t rss_bytes = 0; ///< peak resident set

  double sim_tasks_per_s() const;
  double tasks_per_s() const;
};

/// The summary as JSON; `with_machine` adds wall time, RSS and tasks/s.
json::value to_json(const summary& s, bool with_machine = true);

/// A human summary.
std::string to_text(const summary& s);

/// Peak resident set of this process, in bytes (0 when unknown).
uint64_t peak_rss_bytes();

/// User + system CPU seconds of this process so far.
double cpu_seconds();

} // namespace rxon::runtime::simulate
