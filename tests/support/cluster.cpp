#include "tests/support/cluster.hpp"

#include "tests/runtime/support/test_client.hpp"

#include <algorithm>
#include <csignal>
#include <netinet/in.h>
#include <random>
#include <sys/socket.h>
#include <unistd.h>

namespace rxon::test {

/// Below the kernel's ephemeral range (32768+ here), so a test that
/// restarts serve on it cannot lose it to another test's bind(0) in the
/// meantime (ctest runs suites in parallel).
uint16_t stable_port() {
  static std::mt19937 rng{std::random_device{}()};
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto port = static_cast<uint16_t>(20000 + rng() % 12000);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
      return 0;
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    bool free
        = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (free)
      return port;
  }
  return 0; // fall back to an ephemeral port
}

int serve_process::starts_ = 0;

serve_process::serve_process(const std::filesystem::path& dir, uint16_t port,
                             std::vector<std::string> extra)
    : serve_process(
        dir, serve_config{port, "rxon.db", std::move(extra), std::nullopt}) {}

serve_process::serve_process(const std::filesystem::path& dir, serve_config cfg)
    : dir_(dir), tls_(std::move(cfg.tls)) {
  std::filesystem::create_directories(dir);
  auto port = cfg.port == 0 ? stable_port() : cfg.port;
  auto name = "serve-" + std::to_string(++starts_);
  std::vector<std::string> argv{rxon_binary(),
                                "serve",
                                "--listen",
                                "127.0.0.1:" + std::to_string(port),
                                "--db",
                                (dir / cfg.db_name).string(),
                                "--worker-token",
                                worker_token,
                                "--client-token",
                                client_token,
                                "--rate-limits=false"};
  argv.insert(argv.end(), cfg.flags.begin(), cfg.flags.end());
  proc_ = std::make_unique<child>(argv, dir, name);
  const std::string marker = "://127.0.0.1:";
  if (!proc_->wait_for_log("url=http", 20s))
    return;
  auto log = proc_->err();
  auto at = log.find(marker, log.find("url=http"));
  if (at == std::string::npos)
    return;
  port_ = static_cast<uint16_t>(std::stoi(log.substr(at + marker.size())));
}

std::string serve_process::url() const {
  return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:")
         + std::to_string(port_);
}

void serve_process::crash() {
  proc_->signal(SIGKILL);
  proc_->wait_exit(10s);
}

std::string serve_process::submit(const std::string& type,
                                  const json::value& params,
                                  const json::value& requirements) {
  http_client c{port_, tls_};
  json::object task{{"type", type}, {"params", params}};
  if (!requirements.is_null())
    task.set("requirements", requirements);
  auto body = json::to_string(json::value{std::move(task)});
  auto r = c.request("POST", "/api/v1/tasks", body,
                     {{"X-Client-Token", client_token}});
  auto answer = r.json();
  const auto* id = answer.find("task_id");
  return r.status == 202 && id && id->is_string() ? id->as_string() : "";
}

json::value serve_process::task(const std::string& id) {
  http_client c{port_, tls_};
  auto r = c.request("GET", "/api/v1/tasks/" + id, {},
                     {{"X-Client-Token", client_token}});
  return r.status == 200 ? r.json() : json::value{};
}

json::value serve_process::wait_state(const std::string& id,
                                      const std::vector<std::string>& states,
                                      std::chrono::milliseconds timeout) {
  json::value last;
  wait_until(
      [&] {
        last = task(id);
        const auto* s = last.find("state");
        return s && s->is_string()
               && std::find(states.begin(), states.end(), s->as_string())
                      != states.end();
      },
      timeout);
  return last;
}

int serve_process::cancel(const std::string& id) {
  http_client c{port_, tls_};
  return c
      .request("POST", "/api/v1/tasks/" + id + "/cancel", {},
               {{"X-Client-Token", client_token}})
      .status;
}

json::value serve_process::events(const std::string& id) {
  http_client c{port_};
  auto r = c.request("GET", "/api/v1/tasks/" + id + "/events", {},
                     {{"X-Client-Token", client_token}});
  return r.status == 200 ? r.json() : json::value{};
}

json::value serve_process::workers() {
  http_client c{port_};
  auto r = c.request("GET", "/api/v1/workers", {},
                     {{"X-Client-Token", client_token}});
  return r.status == 200 ? r.json() : json::value{};
}

std::unique_ptr<child> start_worker(const std::filesystem::path& dir,
                                    const std::string& url,
                                    const std::string& id,
                                    std::vector<std::string> flags) {
  std::vector<std::string> argv{rxon_binary(),
                                "worker",
                                "--url",
                                url,
                                "--id",
                                id,
                                "--token",
                                worker_token,
                                "--heartbeat-ms",
                                "300",
                                "--poll-timeout-s",
                                "1",
                                "--max-backoff-ms",
                                "300"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return std::make_unique<child>(argv, dir, id);
}

std::unique_ptr<child> run_rxon(const std::filesystem::path& dir,
                                const std::string& name,
                                std::vector<std::string> args,
                                std::optional<int>& exit_code,
                                std::chrono::milliseconds timeout) {
  args.insert(args.begin(), rxon_binary());
  auto c = std::make_unique<child>(args, dir, name);
  exit_code = c->wait_exit(timeout);
  return c;
}

} // namespace rxon::test
