// `rxon bench transport [--loops N] [--tasks-per-loop N] [--json]`: how many
// requests/s one worker transport instance can drive against a trivial
// loopback server, so `rxon bench http` shows which side limits.

#include "bench/transport_bench.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace rxon::bench {

int run_transport(const std::vector<std::string>& args) {
  transport_bench_options opts;
  bool as_json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--loops" && i + 1 < args.size())
      opts.loops = std::stoul(args[++i]);
    else if (args[i] == "--tasks-per-loop" && i + 1 < args.size())
      opts.tasks_per_loop = std::stoul(args[++i]);
    else if (args[i] == "--json")
      as_json = true;
    else {
      std::fprintf(stderr, "usage: rxon bench transport [--loops N] "
                           "[--tasks-per-loop N] [--json]\n");
      return 2;
    }
  }
  auto f = transport_rps(opts);
  if (as_json)
    std::printf("{\"loops\":%zu,\"requests\":%zu,\"errors\":%zu,"
                "\"seconds\":%.3f,\"requests_per_s\":%.1f}\n",
                opts.loops, f.requests, f.errors, f.seconds,
                f.requests_per_second);
  else
    std::printf("rxon bench transport: %zu loops, %zu requests, %zu errors, "
                "%.0f requests/s (%.0f tasks/s)\n",
                opts.loops, f.requests, f.errors, f.requests_per_second,
                f.requests_per_second / 2);
  return f.errors == 0 && f.requests > 0 ? 0 : 1;
}

} // namespace rxon::bench
