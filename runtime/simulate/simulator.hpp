#pragma once

// `rxon simulate`'s engine: the production orchestrator (dispatcher actor,
// holon actors, supervision) in deterministic mode, driven by a
// discrete-event loop of simulated holons on a simulated clock.

#include "protocol/error.hpp"
#include "protocol/json.hpp"
#include "runtime/simulate/sim_options.hpp"
#include "runtime/simulate/sim_summary.hpp"
#include "runtime/simulate/topology.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace rxon::runtime::simulate {

struct sim_run {
  summary stats;
  topology tree;
  /// The orchestrator's holarchy at the end of the run (when
  /// sim_options::holarchy).
  json::value holarchy;
  /// Per node: busy share of its subtree's leaves over the run.
  std::vector<float> utilisation;
  /// Per node: in a subtree lost during the run.
  std::vector<uint8_t> lost;
  /// The run's actors and orchestrator, torn down with the last copy of
  /// this handle: at a million holons that takes seconds, so callers can
  /// report first.
  std::shared_ptr<void> runtime;
};

/// Called now and then with completed and submitted-so-far task counts.
using progress_fn = std::function<void(uint64_t done, uint64_t total)>;

/// Runs one simulation; the same options (seed included) give the same
/// `stats` apart from wall time and RSS.
result<sim_run> run_simulation(const sim_options& opts,
                               progress_fn progress = {});

} // namespace rxon::runtime::simulate
