#pragma once

// A real `rxon serve` on loopback (temp SQLite DB, explicit tokens) plus
// client-API helpers and `rxon worker` launchers for the CLI tests.

#include "protocol/json.hpp"
#include "tests/runtime/support/test_client.hpp"
#include "tests/support/process.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rxon::test {

inline constexpr const char* worker_token = "cli-worker-token";
inline constexpr const char* client_token = "cli-client-token";

/// How to start `rxon serve` beyond the defaults.
struct serve_config {
  uint16_t port = 0; ///< 0: any free port
  std::string db_name = "rxon.db";
  std::vector<std::string> flags; ///< extra flags, e.g. TLS
  /// Set when serve speaks TLS: how the test's own client connects.
  std::optional<tls_client_files> tls;
};

class serve_process {
public:
  serve_process(const std::filesystem::path& dir, serve_config cfg);
  /// Starts `rxon serve` on `port` (0: any free port) with the DB in
  /// `dir` and the `extra` flags, and waits until it is ready.
  serve_process(const std::filesystem::path& dir, uint16_t port = 0,
                std::vector<std::string> extra = {});

  bool ready() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  /// http://127.0.0.1:PORT, or https:// with TLS.
  std::string url() const;
  child& proc() { return *proc_; }
  /// SIGKILL, no drain: a crash.
  void crash();

  /// POST /api/v1/tasks; returns the task id, "" on failure.
  std::string submit(const std::string& type, const json::value& params,
                     const json::value& requirements = {});
  /// GET /api/v1/tasks/{id}; null when it fails.
  json::value task(const std::string& id);
  /// Polls the task until its state is in `states`; returns the last view.
  json::value wait_state(const std::string& id,
                         const std::vector<std::string>& states,
                         std::chrono::milliseconds timeout = 20s);
  /// POST /api/v1/tasks/{id}/cancel; returns the HTTP status.
  int cancel(const std::string& id);
  /// GET /api/v1/tasks/{id}/events; null when it fails.
  json::value events(const std::string& id);
  /// GET /api/v1/workers; null when it fails.
  json::value workers();

private:
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  std::optional<tls_client_files> tls_;
  std::unique_ptr<child> proc_;
  static int starts_;
};

/// A free loopback port below the ephemeral range (restartable).
uint16_t stable_port();

/// Starts `rxon worker` against `url` with id `id` and the given mode and
/// extra flags; its logs go to `<dir>/<id>.err`.
std::unique_ptr<child> start_worker(const std::filesystem::path& dir,
                                    const std::string& url,
                                    const std::string& id,
                                    std::vector<std::string> flags);

/// Runs `rxon <args>` to completion (bounded); returns the child.
std::unique_ptr<child> run_rxon(const std::filesystem::path& dir,
                                const std::string& name,
                                std::vector<std::string> args,
                                std::optional<int>& exit_code,
                                std::chrono::milliseconds timeout = 30s);

} // namespace rxon::test
