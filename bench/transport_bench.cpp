#include "bench/transport_bench.hpp"

#include "runtime/transport/http_transport.hpp"
#include "tests/support/loopback_server.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace rxon::bench {

namespace {

using namespace rxon::runtime;

struct loop_state {
  std::shared_ptr<http_transport> transport;
  std::atomic<std::size_t> requests{0};
  std::atomic<std::size_t> errors{0};
  std::atomic<std::size_t> finished{0};
  std::size_t tasks_per_loop = 0;
};

void run_loop(const std::shared_ptr<loop_state>& st, std::size_t left) {
  if (left == 0) {
    st->finished++;
    return;
  }
  poll_request p;
  p.timeout = 1;
  st->transport->poll_task(
      p, [st, left](result<std::optional<task_payload>> task) {
        st->requests++;
        if (!task || !task->has_value()) {
          st->errors++;
          return run_loop(st, left - 1);
        }
        task_result res;
        res.job_id = (*task)->job_id;
        res.task_id = (*task)->task_id;
        res.data = json::object{{"ok", true}};
        st->transport->send_result(std::move(res),
                                   [st, left](result<result_ack> ack) {
                                     st->requests++;
                                     if (!ack)
                                       st->errors++;
                                     run_loop(st, left - 1);
                                   });
      });
}

} // namespace

transport_bench_figures transport_rps(const transport_bench_options& opts) {
  const std::string task = R"({"job_id":"j1","task_id":"t1","type":"echo",)"
                           R"("params":{"x":1}})";
  test::loopback_server server(
      [&task](const test::server_request& r) {
        test::server_response res;
        res.body = r.method == "GET" ? task : R"({"status":"accepted"})";
        return res;
      },
      {}, false);
  boost::asio::io_context io;
  transport_options topts;
  topts.max_connections = opts.loops;
  auto t
      = http_transport::create(io, server.url(), "bench-worker", "tok", topts);
  if (!t)
    return {};
  auto st = std::make_shared<loop_state>();
  st->transport = *t;
  st->transport->connect();
  auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < opts.loops; ++i)
    run_loop(st, opts.tasks_per_loop);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < opts.io_threads; ++i)
    threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& th : threads)
    th.join();
  transport_bench_figures out;
  out.seconds
      = std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
  out.requests = st->requests;
  out.errors = st->errors;
  out.requests_per_second = static_cast<double>(out.requests) / out.seconds;
  st->transport->close();
  return out;
}

} // namespace rxon::bench
