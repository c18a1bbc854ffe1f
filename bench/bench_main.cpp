#include "bench/bench.hpp"
#include "bench/protocol_bench.hpp"

#include <iostream>

namespace rxon::bench {

int run(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "protocol")
    return run_protocol({args.begin() + 1, args.end()});
  std::cerr << "usage: rxon bench <protocol> [--json] [--seconds S]\n";
  return 2;
}

} // namespace rxon::bench
