#include "runtime/cli.hpp"

#include "bench/bench.hpp"
#include "runtime/serve.hpp"
#include "runtime/simulate/simulate_cli.hpp"
#include "runtime/submit_command.hpp"
#include "runtime/worker/worker_command.hpp"

#include <iostream>

namespace rxon::runtime {

namespace {

constexpr const char* usage = R"(usage: rxon <command> [options]

commands:
  serve      run the orchestrator
  worker     run a worker (holon) process:
               rxon worker --url URL --id ID --token T [--skills a,b]
                 [--resources JSON] [--concurrency N]
                 (--exec CMD | --echo | --sleep-ms N)
  submit     submit a task through the client API:
               rxon submit --url URL --token T --type TYPE --params JSON
                 [--requirements JSON] [--priority P] [--wait] [--timeout-s S]
  bench      run a benchmark (rxon bench protocol|dispatch|http)
  simulate   simulate a holarchy in one process
  version    print the rxon and RXON protocol versions

`rxon <command> --help` describes each command's options.
)";

int version() {
  std::cout << "rxon " << RXON_VERSION << " (RXON protocol "
            << RXON_PROTOCOL_VERSION << ")\n";
  return 0;
}

} // namespace

int run_cli(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "-h" || args[0] == "--help"
      || args[0] == "help") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  const auto& cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "version" || cmd == "--version")
    return version();
  if (cmd == "bench")
    return bench::run(rest);
  if (cmd == "serve")
    return run_serve(rest);
  if (cmd == "worker")
    return run_worker(rest);
  if (cmd == "submit")
    return run_submit(rest);
  if (cmd == "simulate")
    return run_simulate(rest);
  std::cerr << "rxon: unknown command '" << cmd << "'\n" << usage;
  return 2;
}

} // namespace rxon::runtime
