#include "runtime/simulate/simulate_cli.hpp"

#include "runtime/simulate/sim_report.hpp"
#include "runtime/simulate/simulator.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace rxon::runtime {

using namespace rxon::runtime::simulate;

int run_simulate(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "-h" || a == "--help") {
      std::cout << sim_usage();
      return 0;
    }
  auto opts = parse_sim_options(args);
  if (!opts) {
    std::cerr << "rxon simulate: " << opts.error().message << "\n"
              << sim_usage();
    return 2;
  }
  opts->holarchy = false; // neither printed nor drawn
  progress_fn progress;
  bool bar = opts->progress && ::isatty(2);
  if (bar)
    progress = [](uint64_t done, uint64_t total) {
      auto pct = total ? done * 100 / total : 0;
      std::string fill(static_cast<std::size_t>(pct / 2), '#');
      fill.resize(50, ' ');
      std::fprintf(stderr, "\r[%s] %3llu%% %llu/%llu tasks", fill.c_str(),
                   static_cast<unsigned long long>(pct),
                   static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(total));
      std::fflush(stderr);
    };
  auto run = run_simulation(*opts, std::move(progress));
  if (bar)
    std::fprintf(stderr, "\r%70s\r", "");
  if (!run) {
    std::cerr << "rxon simulate: " << run.error().message << "\n";
    return 1;
  }
  if (!opts->report.empty())
    if (auto st = write_report(*run, opts->report); !st) {
      std::cerr << "rxon simulate: " << st.error().message << "\n";
      return 1;
    }
  if (opts->json)
    std::cout << json::to_string(to_json(run->stats)) << "\n";
  else
    std::cout << to_text(run->stats);
  // Lost tasks are a failure of the runtime, not of the workload.
  int rc = run->stats.lost == 0 ? 0 : 3;
  // Everything is reported and nothing is stored: exit without tearing
  // down the actors one by one (11-15 s at a million holons).
  std::cout.flush();
  std::fflush(nullptr);
  std::_Exit(rc);
}

} // namespace rxon::runtime
