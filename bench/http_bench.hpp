#pragma once

#include <string>
#include <vector>

namespace rxon::bench {

/// `rxon bench http --connections C --seconds S [--tasks N] [--io-threads T]
/// [--no-batch-scheduling] [--json]`: worker throughput of the real runtime
/// (SQLite WAL NORMAL) over loopback, next to a trivial Beast server's
/// ceiling. --no-batch-scheduling runs the actor and storage threads under
/// the default policy (orchestrator_options::batch_scheduling = false).
int run_http(const std::vector<std::string>& args);

} // namespace rxon::bench
