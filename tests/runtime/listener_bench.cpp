// Listener throughput over loopback: C keep-alive connections each loop
// GET next-task (answered at once with a canned task) and POST result, as
// in perf-notes.md. The orchestrator is a trivial inline one, so this
// measures the network layer (parse, auth, rate limit, codec, write).
// Prints figures; asserts nothing about time.
//   build/tests/runtime/rxon_listener_bench [seconds] [connections]
//   [io_threads]

#include "protocol/codec.hpp"
#include "runtime/http/server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

using namespace rxon;
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

class inline_api final : public actors::orchestrator_api {
public:
  void register_holon(worker_registration,
                      actors::callback<json::value> d) override {
    d(json::value{json::object{{"status", "registered"}}});
  }
  void poll(actors::poll_request req,
            actors::callback<std::optional<task_payload>> d) override {
    task_payload t;
    t.job_id = "job-1";
    t.task_id = "task-" + std::to_string(next_++);
    t.type = "resize";
    t.params = json::object{{"width", 640}};
    (void)req;
    d(std::optional<task_payload>{std::move(t)});
  }
  void return_task(std::string, std::string) override {}
  void post_result(std::string, task_result,
                   actors::callback<json::value> d) override {
    d(json::value{json::object{{"status", "accepted"}}});
  }
  void heartbeat(std::string, std::optional<rxon::heartbeat>,
                 actors::callback<json::value> d) override {
    d(json::value{json::object{{"status", "ok"}}});
  }
  void post_event(std::string, worker_event,
                  actors::callback<json::value> d) override {
    d(json::value{json::object{{"status", "event_accepted"}}});
  }
  uint64_t attach_commands(std::string, actors::command_sink) override {
    return 1;
  }
  void detach_commands(std::string, uint64_t) override {}
  void submit(actors::job_spec, actors::callback<actors::job_ack> d) override {
    d(error{errc::unavailable, "bench"});
  }
  void cancel_job(std::string, std::string,
                  actors::callback<json::value> d) override {
    d(error{errc::unavailable, "bench"});
  }
  void cancel_task(std::string, std::string,
                   actors::callback<json::value> d) override {
    d(error{errc::unavailable, "bench"});
  }
  void get_job(std::string, std::string,
               actors::callback<json::value> d) override {
    d(error{errc::unavailable, "bench"});
  }
  void get_task(std::string, std::string,
                actors::callback<json::value> d) override {
    d(error{errc::unavailable, "bench"});
  }
  void list_jobs(actors::job_query, actors::callback<json::value> d) override {
    d(error{errc::unavailable, "bench"});
  }
  void list_holons(actors::callback<json::value> d) override {
    d(error{errc::unavailable, "bench"});
  }
  void holarchy(actors::callback<json::value> d) override {
    d(error{errc::unavailable, "bench"});
  }
  void metrics(actors::callback<std::string> d) override { d(std::string{}); }

private:
  std::atomic<uint64_t> next_{0};
};

/// One worker connection looping poll -> result.
struct worker_loop : std::enable_shared_from_this<worker_loop> {
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  http::request<http::string_body> poll_req, result_req;
  http::response<http::string_body> res;
  std::atomic<uint64_t>& tasks;
  std::atomic<bool>& stop;
  std::string id;

  worker_loop(net::io_context& ioc, std::string worker,
              std::atomic<uint64_t>& n, std::atomic<bool>& s)
      : stream(ioc), tasks(n), stop(s), id(std::move(worker)) {
    poll_req = {http::verb::get,
                "/_worker/workers/" + id + "/tasks/next?timeout=1.0", 11};
    result_req = {http::verb::post, "/_worker/tasks/result", 11};
    for (auto* r : {&poll_req, &result_req}) {
      r->set(http::field::host, "127.0.0.1");
      r->set("X-Worker-ID", id);
      r->set("X-Worker-Token", "bench-token");
      r->set("X-RXON-Version", "1.0b13");
    }
  }

  void start(tcp::endpoint ep) {
    stream.socket().connect(ep);
    stream.socket().set_option(tcp::no_delay(true));
    do_poll();
  }
  void do_poll() {
    if (stop)
      return;
    http::async_write(
        stream, poll_req,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec)
            return;
          self->res = {};
          http::async_read(
              self->stream, self->buffer, self->res,
              [self](beast::error_code ec2, std::size_t) {
                if (ec2 || self->res.result_int() != 200)
                  return (void)std::fprintf(stderr, "poll failed\n");
                auto t = decode<task_payload>(self->res.body());
                self->result_req.body()
                    = R"({"job_id":")" + t->job_id + R"(","task_id":")"
                      + t->task_id
                      + R"(","status":"success","data":{"ok":true}})";
                self->result_req.prepare_payload();
                self->do_result();
              });
        });
  }
  void do_result() {
    http::async_write(
        stream, result_req,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec)
            return;
          self->res = {};
          http::async_read(
              self->stream, self->buffer, self->res,
              [self](beast::error_code ec2, std::size_t) {
                if (ec2 || self->res.result_int() != 200)
                  return (void)std::fprintf(stderr, "result failed\n");
                self->tasks.fetch_add(1, std::memory_order_relaxed);
                self->do_poll();
              });
        });
  }
};

} // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 5;
  int conns = argc > 2 ? std::atoi(argv[2]) : 32;
  int threads = argc > 3 ? std::atoi(argv[3]) : 1;
  inline_api api;
  runtime::listener_options o;
  o.io_threads = static_cast<std::size_t>(threads);
  o.auth.global_token = "bench-token";
  runtime::server srv{api, o};
  if (auto ok = srv.start(); !ok) {
    std::fprintf(stderr, "start: %s\n", ok.error().message.c_str());
    return 1;
  }
  net::io_context ioc;
  std::atomic<uint64_t> tasks{0};
  std::atomic<bool> stop{false};
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), srv.port()};
  for (int i = 0; i < conns; ++i)
    std::make_shared<worker_loop>(ioc, "w" + std::to_string(i), tasks, stop)
        ->start(ep);
  auto t0 = std::chrono::steady_clock::now();
  ioc.run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(seconds)));
  double elapsed
      = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
  stop = true;
  auto n = tasks.load();
  std::printf("listener: %d connections, %d io thread(s), %.1f s: %llu tasks, "
              "%.0f tasks/s (%.0f requests/s)\n",
              conns, threads, elapsed, static_cast<unsigned long long>(n),
              static_cast<double>(n) / elapsed,
              2.0 * static_cast<double>(n) / elapsed);
  srv.stop();
  return 0;
}
