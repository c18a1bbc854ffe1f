#pragma once

#include <string>
#include <vector>

namespace rxon::runtime {

/// Runs the `rxon` command line: `rxon <subcommand> [options]`.
/// Returns the process exit code.
int run_cli(const std::vector<std::string>& args);

} // namespace rxon::runtime
