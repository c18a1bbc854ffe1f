#include "bench/http_load.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>

namespace rxon::bench {

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

struct shared_run {
  bool stop = false;
  load_figures figures;
  clock_type::time_point start;
  clock_type::time_point end;
  std::function<void()> on_finish; ///< closes every connection
  void finish(bool exhausted) {
    if (stop)
      return;
    stop = true;
    end = clock_type::now();
    figures.exhausted = exhausted;
    if (on_finish)
      on_finish();
  }
};

/// The string after `pattern` (e.g. `"task_id":"`) in compact JSON, or "".
std::string_view json_string(std::string_view body, std::string_view pattern) {
  auto at = body.find(pattern);
  if (at == std::string_view::npos)
    return {};
  at += pattern.size();
  auto end = body.find('"', at);
  return end == std::string_view::npos ? std::string_view{}
                                       : body.substr(at, end - at);
}

class connection : public std::enable_shared_from_this<connection> {
public:
  connection(net::io_context& ioc, shared_run& run, std::string worker,
             const std::string& token)
      : socket_(ioc), run_(run), worker_(std::move(worker)) {
    headers_ = "Host: 127.0.0.1\r\nX-Worker-ID: " + worker_
               + "\r\nX-Worker-Token: " + token
               + "\r\nX-RXON-Version: 1.0b13\r\n";
    poll_ = "GET /_worker/workers/" + worker_
            + "/tasks/next?timeout=1.0 HTTP/1.1\r\n" + headers_ + "\r\n";
    in_.resize(64 * 1024);
  }

  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

  void start(const tcp::endpoint& ep) {
    boost::system::error_code ec;
    socket_.connect(ep, ec);
    if (ec) {
      ++run_.figures.errors;
      return;
    }
    socket_.set_option(tcp::no_delay(true), ec);
    send_poll();
  }

private:
  void send_poll() {
    if (run_.stop)
      return;
    polling_ = true;
    sent_ = clock_type::now();
    write(poll_);
  }

  void send_result(std::string_view body) {
    auto job = json_string(body, R"("job_id":")");
    auto task = json_string(body, R"("task_id":")");
    std::string json = R"({"data":{"ok":true},"job_id":")" + std::string{job}
                       + R"(","status":"success","task_id":")"
                       + std::string{task} + R"(","worker_id":")" + worker_
                       + "\"}";
    result_ = "POST /_worker/tasks/result HTTP/1.1\r\n" + headers_
              + "Content-Type: application/json\r\nContent-Length: "
              + std::to_string(json.size()) + "\r\n\r\n" + json;
    polling_ = false;
    write(result_);
  }

  void write(const std::string& req) {
    net::async_write(
        socket_, net::buffer(req),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
          if (ec)
            return self->fail();
          self->read();
        });
  }

  void read() {
    socket_.async_read_some(net::buffer(in_.data() + have_, in_.size() - have_),
                            [self = shared_from_this()](
                                boost::system::error_code ec, std::size_t n) {
                              if (ec)
                                return self->fail();
                              self->have_ += n;
                              self->parse();
                            });
  }

  /// Handles one complete response, or reads more.
  void parse() {
    std::string_view data{in_.data(), have_};
    auto head_end = data.find("\r\n\r\n");
    if (head_end == std::string_view::npos)
      return more();
    auto head = data.substr(0, head_end);
    int status = head.size() > 12 ? std::atoi(head.data() + 9) : 0;
    std::size_t length = 0;
    if (auto cl = head.find("Content-Length: "); cl != std::string_view::npos)
      length = static_cast<std::size_t>(std::atoll(head.data() + cl + 16));
    std::size_t total = head_end + 4 + length;
    if (have_ < total)
      return more();
    std::string body{data.substr(head_end + 4, length)};
    // Keep the buffer's size: erase + resize would zero 64 KiB per reply.
    std::memmove(in_.data(), in_.data() + total, have_ - total);
    have_ -= total;
    if (polling_) {
      auto now = clock_type::now();
      if (!run_.stop)
        run_.figures.poll_us.push_back(static_cast<float>(
            std::chrono::duration<double, std::micro>(now - sent_).count()));
      if (status == 204)
        return run_.finish(true);
      if (status != 200)
        return fail();
      return send_result(body);
    }
    if (status != 200)
      return fail();
    if (!run_.stop)
      ++run_.figures.tasks;
    send_poll();
  }

  void more() {
    if (have_ == in_.size())
      in_.resize(in_.size() * 2);
    read();
  }

  void fail() {
    if (!run_.stop)
      ++run_.figures.errors;
  }

  tcp::socket socket_;
  shared_run& run_;
  std::string worker_;
  std::string headers_;
  std::string poll_;
  std::string result_;
  std::string in_;
  std::size_t have_ = 0;
  bool polling_ = true;
  clock_type::time_point sent_;
};

} // namespace

load_figures run_load(const load_options& opts) {
  net::io_context ioc{1};
  shared_run run;
  run.figures.poll_us.reserve(1 << 20);
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), opts.port};
  std::vector<std::shared_ptr<connection>> conns;
  for (int i = 0; i < opts.connections; ++i) {
    auto id = i < static_cast<int>(opts.worker_ids.size())
                  ? opts.worker_ids[static_cast<std::size_t>(i)]
                  : "bench-w" + std::to_string(i);
    conns.push_back(std::make_shared<connection>(ioc, run, id, opts.token));
  }
  run.start = clock_type::now();
  for (auto& c : conns)
    c->start(ep);
  net::steady_timer deadline{ioc};
  deadline.expires_after(std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(opts.seconds)));
  run.on_finish = [&] {
    deadline.cancel();
    for (auto& c : conns)
      c->close();
  };
  deadline.async_wait([&](boost::system::error_code ec) {
    if (!ec)
      run.finish(false);
  });
  // In-flight requests finish after the deadline; nothing new is sent.
  ioc.run_for(std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(opts.seconds + 5)));
  run.finish(false);
  run.figures.seconds
      = std::chrono::duration<double>(run.end - run.start).count();
  return std::move(run.figures);
}

} // namespace rxon::bench
