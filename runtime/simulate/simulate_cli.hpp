#pragma once

#include <string>
#include <vector>

namespace rxon::runtime {

/// `rxon simulate [options]`: simulates a holarchy in one process and
/// prints a summary (text or --json), optionally an HTML --report.
int run_simulate(const std::vector<std::string>& args);

} // namespace rxon::runtime
