#pragma once

#include <string>
#include <vector>

namespace rxon::bench {

/// `rxon bench dispatch --holons N --tasks M [--durable] [--json]`.
int run_dispatch(const std::vector<std::string>& args);

} // namespace rxon::bench
