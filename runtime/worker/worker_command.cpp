#include "runtime/worker/worker_command.hpp"

#include "runtime/log.hpp"
#include "runtime/transport/blocking_transport.hpp"
#include "runtime/worker/worker.hpp"

#include <atomic>
#include <csignal>
#include <iostream>
#include <pthread.h>
#include <thread>

namespace rxon::runtime {

namespace {

transport_options transport_options_of(const worker_options& o) {
  transport_options t;
  t.tls.ca_file = o.tls_ca;
  t.tls.cert_file = o.tls_cert;
  t.tls.key_file = o.tls_key;
  t.tls.verify_peer = !o.tls_insecure;
  // Reconnect the command channel as fast as the rest of the worker.
  t.ws_initial_delay = std::min(std::chrono::milliseconds{200}, o.max_backoff);
  t.ws_max_delay = o.max_backoff;
  t.request_timeout = std::chrono::milliseconds{30000};
  t.connect_timeout = std::chrono::milliseconds{5000};
  t.log = [](log_level l, std::string_view line) {
    auto lvl = l == log_level::debug     ? log::level::debug
               : l == log_level::info    ? log::level::info
               : l == log_level::warning ? log::level::warn
                                         : log::level::error;
    log::write(lvl, line, {{"component", "transport"}});
  };
  return t;
}

} // namespace

int run_worker(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "-h" || a == "--help") {
      std::cout << worker_usage();
      return 0;
    }
  auto parsed = parse_worker_args(args);
  if (!parsed) {
    std::cerr << "rxon worker: " << parsed.error().message << "\n"
              << worker_usage();
    return 2;
  }
  auto opts = std::move(*parsed);
  log::configure(opts.log_format, opts.log_level);

  // Signals are taken by one thread (sigwait); every thread started from
  // here on blocks them. Children get a clean mask (subprocess.cpp).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto transport = blocking_transport::create(
      opts.url, opts.worker_id, opts.token, transport_options_of(opts));
  if (!transport) {
    std::cerr << "rxon worker: " << transport.error().message << "\n";
    return 2;
  }
  worker w{opts, **transport};
  std::atomic<bool> done{false};
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (!done.load()) {
      log::info("stop requested",
                {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      w.stop();
    }
  });
  int rc = w.run();
  done = true;
  pthread_kill(signals.native_handle(), SIGTERM); // wake sigwait if waiting
  signals.join();
  return rc;
}

} // namespace rxon::runtime
