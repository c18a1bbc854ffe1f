#pragma once

// Options of `rxon simulate` and their command-line parser.

#include "protocol/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rxon::runtime::simulate {

struct sim_options {
  int levels = 3;          ///< holon levels below the root (leaves last)
  int fanout = 4;          ///< children per orchestrator holon
  std::string topology;    ///< JSON topology file; overrides levels/fanout
  uint64_t tasks = 10'000; ///< batch size, or a cap with an arrival rate
  double arrival_rate = 0; ///< tasks per simulated second; 0: one batch
  double duration_s = 0;   ///< arrivals last this long (rate mode)
  uint64_t seed = 1;
  double fail_crash = 0;    ///< per executed task: the holon crashes
  int fail_subtree = 0;     ///< subtrees lost (heartbeats stop) mid-run
  double slow_fraction = 0; ///< holons running 5x slower
  double drop_results = 0;  ///< per task: the result never arrives
  bool json = false;
  std::string report;   ///< HTML report file
  bool progress = true; ///< a progress bar when stderr is a terminal
  /// Fetch the orchestrator's holarchy at the end (sim_run::holarchy);
  /// the command line does not print it, and at 1M holons it costs.
  bool holarchy = true;

  // Runtime knobs (simulated milliseconds).
  int64_t holon_ttl_ms = 60'000;
  int64_t lease_ms = 60'000;
  int64_t poll_ms = 30'000;
  int64_t restart_delay_ms = 1'000;
  std::size_t job_size = 1'000; ///< tasks per submitted job
  std::size_t window = 0;       ///< batch: outstanding cap; 0: 2 per leaf
  double max_sim_s = 86'400;    ///< stop even if tasks remain
};

/// Parses `rxon simulate` arguments (without the subcommand).
result<sim_options> parse_sim_options(const std::vector<std::string>& args);

/// The usage text of `rxon simulate`.
const char* sim_usage();

} // namespace rxon::runtime::simulate
