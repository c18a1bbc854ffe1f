#include "bench/bench.hpp"

#include <iostream>

namespace rxon::bench {

int run(const std::vector<std::string>& args) {
  std::cerr << "usage: rxon bench <protocol> [--json]\n";
  return args.empty() ? 2 : 2;
}

} // namespace rxon::bench
