#pragma once

#include <string>
#include <vector>

namespace rxon::bench {

/// `rxon bench http --connections C --seconds S [--tasks N] [--io-threads T]
/// [--json]`: worker throughput of the real runtime (SQLite WAL NORMAL)
/// over loopback, next to a trivial Beast server's ceiling.
int run_http(const std::vector<std::string>& args);

} // namespace rxon::bench
