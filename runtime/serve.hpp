#pragma once

#include <string>
#include <vector>

namespace rxon::runtime {

/// `rxon serve [options]`: runs the orchestrator until SIGTERM/SIGINT.
int run_serve(const std::vector<std::string>& args);

} // namespace rxon::runtime
