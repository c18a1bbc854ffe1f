#include "actors/memory_policy.hpp"
#include "bench/bench.hpp"
#include "bench/dispatch_bench.hpp"
#include "bench/http_bench.hpp"
#include "bench/protocol_bench.hpp"
#include "bench/transport_bench.hpp"

#include <iostream>

namespace rxon::bench {

int run(const std::vector<std::string>& args) {
  if (!args.empty()) {
    // Off by default, as in serve (actors/memory_policy.hpp); every bench
    // takes --huge-pages to compare.
    std::vector<std::string> rest;
    bool huge_pages = false;
    for (auto i = args.begin() + 1; i != args.end(); ++i) {
      if (*i == "--huge-pages")
        huge_pages = true;
      else
        rest.push_back(*i);
    }
    actors::use_huge_pages(huge_pages);
    if (args[0] == "protocol")
      return run_protocol(rest);
    if (args[0] == "dispatch")
      return run_dispatch(rest);
    if (args[0] == "transport")
      return run_transport(rest);
    if (args[0] == "http")
      return run_http(rest);
  }
  std::cerr << "usage: rxon bench protocol [--json] [--seconds S]\n"
               "       rxon bench dispatch --holons N --tasks M [--durable] "
               "[--json]\n"
               "       rxon bench transport [--loops N] [--json]\n"
               "       rxon bench http --connections C --seconds S [--json]\n"
               "each also takes --huge-pages: back the heap with transparent "
               "huge pages (off, as in serve)\n";
  return 2;
}

} // namespace rxon::bench
