#include "runtime/worker/worker_command.hpp"

#include "runtime/log.hpp"
#include "runtime/peer_link.hpp"
#include "runtime/transport/blocking_transport.hpp"
#include "runtime/worker/worker.hpp"

#include <atomic>
#include <csignal>
#include <iostream>
#include <pthread.h>
#include <thread>

namespace rxon::runtime {

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

  auto topts = peer_transport_options(opts.tls_ca, opts.tls_insecure,
                                      opts.max_backoff);
  topts.tls.cert_file = opts.tls_cert;
  topts.tls.key_file = opts.tls_key;
  topts.signing_secret = opts.secret;
  auto transport = blocking_transport::create(opts.url, opts.worker_id,
                                              opts.token, std::move(topts));
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
