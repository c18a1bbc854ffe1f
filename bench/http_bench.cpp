// `rxon bench http`: the orchestrator (actors + SQLite, durability on) behind
// the listener, driven by C worker connections looping poll -> result on
// keep-alive, then the same load against a trivial Beast server (the
// ceiling). Both run in this process on loopback.

#include "bench/http_bench.hpp"

#include "actors/orchestrator.hpp"
#include "bench/bench_util.hpp"
#include "bench/http_load.hpp"
#include "bench/transport_bench.hpp"
#include "bench/trivial_server.hpp"
#include "runtime/http/server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace rxon::bench {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr const char* worker_token = "bench-worker-token";
constexpr const char* client_token = "bench-client-token";

struct http_options {
  int connections = 32;
  double seconds = 5;
  long tasks = 0; ///< 0: enough for 40k tasks/s (a dry queue ends the run)
  std::size_t io_threads = 1;
  bool batch_scheduling = true; ///< orchestrator_options::batch_scheduling
  bool as_json = false;
};

/// One blocking request on a fresh connection; the status (0: failed).
int blocking_request(uint16_t port, http::verb verb, const std::string& target,
                     const std::string& body,
                     std::vector<std::pair<std::string, std::string>> headers) {
  net::io_context ioc;
  beast::tcp_stream s{ioc};
  beast::error_code ec;
  s.socket().connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port},
                     ec);
  if (ec)
    return 0;
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (auto& [k, v] : headers)
    req.set(k, v);
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(s, req, ec);
  if (ec)
    return 0;
  beast::flat_buffer buf;
  http::response_parser<http::string_body> p;
  p.body_limit(64u << 20);
  http::read(s, buf, p, ec);
  return ec ? 0 : p.get().result_int();
}

/// Submits `n` tasks as jobs of up to 10k tasks; false on any failure.
bool submit_tasks(uint16_t port, long n) {
  for (long done = 0; done < n;) {
    long batch = std::min<long>(10000, n - done);
    std::string body = R"({"tasks":[)";
    for (long i = 0; i < batch; ++i) {
      if (i)
        body += ',';
      body += R"({"type":"resize","params":{"i":)" + std::to_string(done + i)
              + "}}";
    }
    body += "]}";
    if (blocking_request(port, http::verb::post, "/api/v1/jobs", body,
                         {{"X-Client-Token", client_token}})
        != 202)
      return false;
    done += batch;
  }
  return true;
}

std::string load_average() {
  std::ifstream in{"/proc/loadavg"};
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

struct figures {
  double tasks_per_s = 0;
  double cpu_s = 0; ///< CPU of the whole process (server + load) meanwhile
  double p50_us = 0;
  double p99_us = 0;
  std::string threads; ///< CPU us per task by thread name (JSON object)
  load_figures load;
};

figures summarise(load_figures f) {
  figures out;
  out.tasks_per_s
      = f.seconds > 0 ? static_cast<double>(f.tasks) / f.seconds : 0;
  std::vector<double> samples(f.poll_us.begin(), f.poll_us.end());
  report r;
  fill_percentiles(r, samples);
  out.p50_us = r.p50_us;
  out.p99_us = r.p99_us;
  out.load = std::move(f);
  out.load.poll_us.clear();
  return out;
}

std::vector<std::string> worker_ids(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i)
    ids.push_back("bench-w" + std::to_string(i));
  return ids;
}

/// The runtime with durability on; error text on failure.
std::string measure_runtime(const http_options& o, figures& out) {
  auto dir = std::filesystem::temp_directory_path()
             / ("rxon-bench-http-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  struct cleanup {
    std::filesystem::path p;
    ~cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } rm{dir};
  actors::orchestrator_options oo;
  oo.db_path = (dir / "bench.db").string();
  oo.synchronous = storage::sync_mode::normal;
  oo.batch_scheduling = o.batch_scheduling;
  auto orch = actors::orchestrator::start(std::move(oo));
  if (!orch)
    return "orchestrator: " + orch.error().message;
  runtime::listener_options lo;
  lo.io_threads = o.io_threads;
  lo.auth.global_token = worker_token;
  lo.client_tokens = {{client_token, "bench"}};
  lo.max_poll_timeout = std::chrono::milliseconds{1000};
  runtime::server srv{**orch, lo};
  if (auto st = srv.start(); !st)
    return "listener: " + st.error().message;
  auto ids = worker_ids(o.connections);
  for (const auto& id : ids)
    if (blocking_request(srv.port(), http::verb::post,
                         "/_worker/workers/register",
                         R"({"supported_skills":[{"name":"resize"}],)"
                         R"("worker_id":")"
                             + id + R"(","worker_type":"generic"})",
                         {{"X-Worker-ID", id},
                          {"X-Worker-Token", worker_token},
                          {"X-RXON-Version", "1.0b13"}})
        != 200)
      return "registration of " + id + " failed";
  long tasks
      = o.tasks > 0 ? o.tasks : static_cast<long>(40000 * o.seconds) + 10000;
  if (!submit_tasks(srv.port(), tasks))
    return "submitting tasks failed";
  (*orch)->flush();
  auto cpu0 = cpu_seconds();
  auto threads0 = thread_cpu_seconds();
  out = summarise(
      run_load({srv.port(), o.connections, o.seconds, worker_token, ids}));
  out.cpu_s = cpu_seconds() - cpu0;
  out.threads = thread_cpu_json(threads0, thread_cpu_seconds(),
                                static_cast<double>(out.load.tasks));
  srv.stop();
  return {};
}

} // namespace

int run_http(const std::vector<std::string>& args) {
  http_options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--connections" && has_value)
      o.connections = std::atoi(args[++i].c_str());
    else if (a == "--seconds" && has_value)
      o.seconds = std::atof(args[++i].c_str());
    else if (a == "--tasks" && has_value)
      o.tasks = std::atol(args[++i].c_str());
    else if (a == "--io-threads" && has_value)
      o.io_threads = static_cast<std::size_t>(std::atoi(args[++i].c_str()));
    else if (a == "--no-batch-scheduling")
      o.batch_scheduling = false;
    else if (a == "--json")
      o.as_json = true;
    else {
      std::fprintf(stderr, "usage: rxon bench http --connections C --seconds S "
                           "[--tasks N] [--io-threads T] "
                           "[--no-batch-scheduling] [--json]\n");
      return 2;
    }
  }
  if (o.connections < 1 || !(o.seconds > 0) || o.io_threads < 1) {
    std::fprintf(stderr, "rxon bench http: connections, seconds and "
                         "io-threads must be positive\n");
    return 2;
  }
  auto load_before = load_average();
  figures rt;
  if (auto err = measure_runtime(o, rt); !err.empty()) {
    std::fprintf(stderr, "rxon bench http: %s\n", err.c_str());
    return 1;
  }
  figures ceiling;
  {
    trivial_server ts;
    if (ts.port() == 0) {
      std::fprintf(stderr, "rxon bench http: trivial server failed\n");
      return 1;
    }
    auto cpu0 = cpu_seconds();
    auto threads0 = thread_cpu_seconds();
    ceiling
        = summarise(run_load({ts.port(), o.connections, o.seconds, "x", {}}));
    ceiling.cpu_s = cpu_seconds() - cpu0;
    ceiling.threads = thread_cpu_json(threads0, thread_cpu_seconds(),
                                      static_cast<double>(ceiling.load.tasks));
  }
  double ratio
      = ceiling.tasks_per_s > 0 ? rt.tasks_per_s / ceiling.tasks_per_s : 0;
  // Which side limits: the requests/s one worker transport instance (the
  // library `rxon worker` uses) drives against a trivial server. The load
  // above uses a leaner generator; if this figure is below the ceiling's
  // request rate, a transport-driven load would be client-bound.
  transport_bench_options topts;
  topts.loops = static_cast<std::size_t>(o.connections);
  topts.tasks_per_loop = 1000;
  auto tr = transport_rps(topts);
  if (o.as_json) {
    std::printf(
        "{\"connections\":%d,\"seconds\":%.3f,\"tasks_per_s\":%.1f,"
        "\"p50_us\":%.1f,\"p99_us\":%.1f,\"ceiling_tasks_per_s\":%.1f,"
        "\"ceiling_p50_us\":%.1f,\"ceiling_p99_us\":%.1f,"
        "\"ratio\":%.3f,\"cpu_s\":%.2f,\"ceiling_cpu_s\":%.2f,"
        "\"errors\":%llu,\"exhausted\":%s,"
        "\"transport_requests_per_s\":%.1f,\"batch_scheduling\":%s,"
        "\"huge_pages\":%s,"
        "\"thread_us_per_task\":%s,\"ceiling_thread_us_per_task\":%s,"
        "\"loadavg_before\":\"%s\"}\n",
        o.connections, rt.load.seconds, rt.tasks_per_s, rt.p50_us, rt.p99_us,
        ceiling.tasks_per_s, ceiling.p50_us, ceiling.p99_us, ratio, rt.cpu_s,
        ceiling.cpu_s,
        static_cast<unsigned long long>(rt.load.errors + ceiling.load.errors),
        rt.load.exhausted ? "true" : "false", tr.requests_per_second,
        o.batch_scheduling ? "true" : "false",
        actors::uses_huge_pages() ? "true" : "false", rt.threads.c_str(),
        ceiling.threads.c_str(), load_before.c_str());
  } else {
    std::printf("rxon bench http: %d connections, %.1f s each, load average "
                "before %s\n",
                o.connections, o.seconds, load_before.c_str());
    std::printf("  runtime (SQLite WAL NORMAL)  %8.0f tasks/s  poll p50 %.0f "
                "us  p99 %.0f us  cpu %.2f s  (%llu tasks, %llu errors%s)\n",
                rt.tasks_per_s, rt.p50_us, rt.p99_us, rt.cpu_s,
                static_cast<unsigned long long>(rt.load.tasks),
                static_cast<unsigned long long>(rt.load.errors),
                rt.load.exhausted ? ", queue ran dry" : "");
    std::printf("  trivial Beast server         %8.0f tasks/s  poll p50 %.0f "
                "us  p99 %.0f us  cpu %.2f s\n",
                ceiling.tasks_per_s, ceiling.p50_us, ceiling.p99_us,
                ceiling.cpu_s);
    std::printf("  runtime / ceiling            %8.0f %%\n", 100 * ratio);
    std::printf("  CPU us per task by thread    runtime %s\n"
                "                               trivial %s\n",
                rt.threads.c_str(), ceiling.threads.c_str());
    std::printf("  one worker transport drives  %8.0f requests/s (%.0f "
                "tasks/s) against the trivial server\n",
                tr.requests_per_second, tr.requests_per_second / 2);
  }
  return rt.load.errors + ceiling.load.errors == 0 ? 0 : 1;
}

} // namespace rxon::bench
