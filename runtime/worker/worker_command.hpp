#pragma once

#include <string>
#include <vector>

namespace rxon::runtime {

/// `rxon worker [options]`: runs a worker process until SIGTERM/SIGINT.
/// Exit codes: 0 after a clean stop, 1 when the orchestrator refuses the
/// worker, 2 for bad arguments.
int run_worker(const std::vector<std::string>& args);

} // namespace rxon::runtime
