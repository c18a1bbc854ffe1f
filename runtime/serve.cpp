// `rxon serve`: the production orchestrator. Composes the actor runtime
// (dispatcher, holon actors, SQLite store) with the HTTP/WebSocket listener,
// then waits for SIGTERM/SIGINT and drains: stop accepting, let in-flight
// requests finish within the grace period, flush the store, exit 0.

#include "runtime/serve.hpp"

#include "actors/memory_policy.hpp"
#include "actors/orchestrator.hpp"
#include "protocol/json.hpp"
#include "runtime/config.hpp"
#include "runtime/http/server.hpp"
#include "runtime/log.hpp"
#include "runtime/uplink/uplink.hpp"

#include <openssl/rand.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <sys/stat.h>
#include <thread>

extern char** environ;

namespace rxon::runtime {

namespace {

std::vector<std::string> environment() {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e)
    out.emplace_back(*e);
  return out;
}

std::string random_token() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 0xF]);
  }
  return out;
}

bool in_memory(const serve_config& cfg) {
  return cfg.db.empty() || cfg.db == ":memory:";
}

/// Without configured tokens, rxon generates a worker token and a client
/// token once and keeps them next to the database (mode 0600), so restarts
/// keep working with the same credentials. Nothing is hard-coded.
status ensure_tokens(serve_config& cfg) {
  bool need_worker = cfg.worker_token.empty() && cfg.worker_tokens.empty()
                     && cfg.auth_mode != "mtls-only";
  bool need_client = cfg.client_tokens.empty();
  if (!need_worker && !need_client)
    return {};
  json::object saved;
  std::filesystem::path file;
  if (!in_memory(cfg)) {
    file = std::filesystem::path{cfg.db}.parent_path() / "rxon-tokens.json";
    if (std::ifstream in{file}; in) {
      std::stringstream ss;
      ss << in.rdbuf();
      if (auto v = json::parse(ss.str()); v && v->is_object())
        saved = v->as_object();
    }
  }
  auto pick = [&](const char* key) {
    if (const auto* v = saved.find(key); v && v->is_string())
      return v->as_string();
    auto t = random_token();
    saved.set(key, t);
    return t;
  };
  if (need_worker)
    cfg.worker_token = pick("worker_token");
  if (need_client)
    cfg.client_tokens[pick("client_token")] = "default";
  if (!file.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    std::ofstream out{file, std::ios::trunc};
    if (!out)
      return error{errc::unavailable, "cannot write " + file.string()};
    out << json::to_string(json::value{saved}) << "\n";
    out.close();
    ::chmod(file.c_str(), 0600);
  }
  return {};
}

result<listener_options> listener_options_of(const serve_config& cfg) {
  auto ep = cfg.endpoint();
  if (!ep)
    return ep.error();
  listener_options o;
  o.address = ep->first;
  o.port = ep->second;
  o.io_threads = cfg.io_threads;
  o.max_body_bytes = cfg.max_body_bytes;
  o.read_timeout = std::chrono::milliseconds(cfg.read_timeout_ms);
  o.idle_timeout = std::chrono::milliseconds(cfg.idle_timeout_ms);
  o.max_connections = cfg.max_connections;
  o.max_poll_timeout = std::chrono::milliseconds(cfg.max_poll_timeout_ms);
  o.grace_period = std::chrono::milliseconds(cfg.grace_period_ms);
  o.tls_cert = cfg.tls_cert;
  o.tls_key = cfg.tls_key;
  o.tls_ca = cfg.tls_ca;
  o.require_client_cert = cfg.require_client_cert;
  auto mode = parse_auth_mode(cfg.auth_mode);
  if (!mode)
    return mode.error();
  o.auth.mode = *mode;
  o.auth.worker_tokens = cfg.worker_tokens;
  o.auth.global_token = cfg.worker_token;
  o.signatures.required = cfg.require_signatures;
  o.signatures.secrets = cfg.worker_secrets;
  o.rate_limits.enabled = cfg.rate_limits;
  o.client_tokens = cfg.client_tokens;
  return o;
}

actors::orchestrator_options orchestrator_options_of(const serve_config& cfg) {
  actors::orchestrator_options o;
  if (!in_memory(cfg))
    o.db_path = cfg.db;
  o.synchronous = cfg.synchronous == "full" ? storage::sync_mode::full
                                            : storage::sync_mode::normal;
  o.dispatch.strategy = actors::parse_strategy(cfg.strategy)
                            .value_or(actors::strategy::standard);
  o.dispatch.lease_ms = cfg.lease_ms;
  o.dispatch.max_poll_ms = cfg.max_poll_timeout_ms;
  o.dispatch.retry_base_ms = cfg.retry_base_ms;
  o.dispatch.retry_max_ms = cfg.retry_max_ms;
  o.dispatch.reputation_floor = cfg.reputation_floor;
  o.holon_ttl_ms = cfg.holon_ttl_ms;
  o.scheduler_threads = cfg.scheduler_threads;
  o.batch_scheduling = cfg.batch_scheduling;
  return o;
}

uplink_options uplink_options_of(const serve_config& cfg) {
  uplink_options o;
  o.url = cfg.uplink;
  o.id = cfg.uplink_id;
  o.token = cfg.uplink_token;
  o.tls_ca = cfg.uplink_tls_ca;
  o.secret = cfg.uplink_secret;
  o.heartbeat = std::chrono::milliseconds(cfg.uplink_heartbeat_ms);
  o.place_timeout = std::chrono::milliseconds(cfg.uplink_place_ms);
  o.max_backoff = std::min(std::chrono::milliseconds(2000),
                           std::chrono::milliseconds(cfg.uplink_heartbeat_ms));
  o.backlog = cfg.uplink_backlog;
  return o;
}

/// Tasks currently leased to holons (assigned or running).
int64_t leased_tasks(actors::orchestrator& orch) {
  auto p = std::make_shared<std::promise<int64_t>>();
  auto f = p->get_future();
  orch.stats([p](result<actors::dispatch_stats> s) {
    using storage::task_state;
    p->set_value(
        s ? s->tasks_by_state[static_cast<size_t>(task_state::assigned)]
                + s->tasks_by_state[static_cast<size_t>(task_state::running)]
          : 0);
  });
  if (f.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    return 0;
  return f.get();
}

} // namespace

int run_serve(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "-h" || a == "--help") {
      std::cout << serve_usage();
      return 0;
    }
  auto loaded = load_config(args, environment());
  if (!loaded) {
    std::cerr << "rxon serve: " << loaded.error().message << "\n";
    return 2;
  }
  auto cfg = std::move(*loaded);
  log::configure(cfg.log_format, cfg.log_level);
  // Off unless configured (actors/memory_policy.hpp).
  if (!actors::use_huge_pages(cfg.huge_pages))
    log::warn("transparent huge pages left as the kernel set them",
              {{"wanted", cfg.huge_pages ? "on" : "off"},
               {"reason", "prctl(PR_SET_THP_DISABLE) refused"}});
  if (!in_memory(cfg)) {
    std::error_code ec;
    auto dir = std::filesystem::path{cfg.db}.parent_path();
    if (!dir.empty())
      std::filesystem::create_directories(dir, ec);
  }
  if (auto st = ensure_tokens(cfg); !st) {
    log::error("cannot set up tokens", {{"error", st.error().message}});
    return 1;
  }
  auto lopts = listener_options_of(cfg);
  if (!lopts) {
    std::cerr << "rxon serve: " << lopts.error().message << "\n";
    return 2;
  }
  // Signals are taken by this thread alone (sigwait), so every thread
  // started from here on blocks them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto oopts = orchestrator_options_of(cfg);
  std::unique_ptr<uplink> up;
  if (!cfg.uplink.empty()) {
    up = std::make_unique<uplink>(uplink_options_of(cfg));
    oopts.dispatch.watch_owner = up->owner();
    oopts.observer = up->observer();
  }
  auto orch = actors::orchestrator::start(std::move(oopts));
  if (!orch) {
    log::error("cannot start the orchestrator",
               {{"error", orch.error().message}, {"db", cfg.db}});
    return 1;
  }
  log::info("store open", {{"db", in_memory(cfg) ? ":memory:" : cfg.db},
                           {"recovered_tasks",
                            static_cast<int64_t>((*orch)->recovered_tasks())}});
  server srv{**orch, *lopts};
  if (auto st = srv.start(); !st) {
    log::error("cannot listen",
               {{"listen", cfg.listen}, {"error", st.error().message}});
    return 1;
  }
  auto scheme = cfg.tls_cert.empty() ? "http" : "https";
  log::info("rxon serve ready",
            {{"url", std::string{scheme} + "://" + lopts->address + ":"
                         + std::to_string(srv.port())},
             {"protocol", RXON_PROTOCOL_VERSION},
             {"strategy", cfg.strategy},
             {"auth_mode", cfg.auth_mode}});
  if (!cfg.worker_token.empty())
    log::info("worker token (X-Worker-Token)", {{"token", cfg.worker_token}});
  if (up)
    if (auto st = up->start(**orch); !st) {
      log::error("cannot start the uplink",
                 {{"uplink", cfg.uplink}, {"error", st.error().message}});
      return 1;
    }
  for (const auto& [token, name] : cfg.client_tokens)
    log::info("client token (X-Client-Token)",
              {{"token", token}, {"client", name}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::info("draining", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                         {"grace_period_ms", cfg.grace_period_ms}});
  // 1. Not ready, no new deliveries; workers may still post results.
  srv.state().routes().set_draining(true);
  if (up)
    up->stop_pulling();
  (*orch)->drain();
  // 2. Let leased tasks finish within the grace period.
  auto deadline = std::chrono::steady_clock::now()
                  + std::chrono::milliseconds(cfg.grace_period_ms);
  int64_t leased = leased_tasks(**orch);
  while (leased > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    leased = leased_tasks(**orch);
  }
  log::info("leases settled", {{"still_leased", leased}});
  if (up)
    up->stop(); // the results of the settled leases go up first
  // 3. Stop accepting; in-flight requests finish or are cut; flush.
  srv.stop();
  (*orch)->flush();
  orch->reset(); // actors stop; the store commits what is pending
  log::info("stopped");
  return 0;
}

} // namespace rxon::runtime
