#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace rxon::bench {

struct transport_bench_options {
  std::size_t loops = 32; ///< concurrent poll+result loops
  std::size_t tasks_per_loop = 2000;
  std::size_t io_threads = 1; ///< threads running the transport's io_context
};

struct transport_bench_figures {
  std::size_t requests = 0;
  std::size_t errors = 0;
  double seconds = 0;
  double requests_per_second = 0;
};

/// Drives one transport instance with `loops` concurrent poll+result loops
/// against a trivial loopback server (1 io thread) answering every poll
/// with a canned task and every result with 200.
transport_bench_figures transport_rps(const transport_bench_options& opts = {});

/// `rxon bench transport [--loops N] [--tasks-per-loop N] [--json]`.
int run_transport(const std::vector<std::string>& args);

} // namespace rxon::bench
