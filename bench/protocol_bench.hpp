#pragma once

#include <string>
#include <vector>

namespace rxon::bench {

/// `rxon bench protocol [--json] [--seconds S]`: codec, signing and matching
/// throughput; returns the exit code.
int run_protocol(const std::vector<std::string>& args);

} // namespace rxon::bench
