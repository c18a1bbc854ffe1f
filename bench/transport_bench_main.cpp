// transport_bench [loops] [tasks_per_loop]: prints requests/s of one
// transport instance against a trivial loopback server.

#include "bench/transport_bench.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  rxon::bench::transport_bench_options opts;
  if (argc > 1)
    opts.loops = std::strtoul(argv[1], nullptr, 10);
  if (argc > 2)
    opts.tasks_per_loop = std::strtoul(argv[2], nullptr, 10);
  auto f = rxon::bench::transport_rps(opts);
  std::printf("loops=%zu requests=%zu errors=%zu seconds=%.3f "
              "requests_per_s=%.0f tasks_per_s=%.0f\n",
              opts.loops, f.requests, f.errors, f.seconds,
              f.requests_per_second, f.requests_per_second / 2);
  return f.errors == 0 && f.requests > 0 ? 0 : 1;
}
