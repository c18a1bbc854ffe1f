#pragma once

#include <string>
#include <vector>

namespace rxon::bench {

/// Runs `rxon bench <topic> [options]`; returns the exit code.
int run(const std::vector<std::string>& args);

} // namespace rxon::bench
