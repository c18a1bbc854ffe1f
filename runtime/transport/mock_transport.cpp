#include "runtime/transport/mock_transport.hpp"

#include "protocol/codec.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace rxon::runtime {

namespace net = boost::asio;

struct mock_transport::waiter {
  explicit waiter(net::any_io_executor ex) : timer(std::move(ex)) {}
  net::steady_timer timer;
  callback<std::optional<task_payload>> done;
};

namespace {

std::optional<task_payload> to_task(const json::value& v) {
  auto task = from_json<task_payload>(v);
  if (!task)
    return std::nullopt; // consumed, as the reference does
  return std::move(*task);
}

} // namespace

mock_transport::mock_transport(net::io_context& io, std::string worker_id,
                               std::string token)
    : strand_(net::make_strand(io)), worker_id_(std::move(worker_id)),
      token_(std::move(token)) {}

template <class F>
void mock_transport::on_strand(F&& f) {
  net::post(strand_, [self = shared_from_this(),
                      f = std::forward<F>(f)]() mutable { f(*self); });
}

void mock_transport::connect() {
  {
    std::lock_guard guard{mutex_};
    connected_ = true;
  }
  on_strand([](mock_transport& self) { self.deliver_commands(); });
}

void mock_transport::close() {
  std::lock_guard guard{mutex_};
  connected_ = false;
}

std::string mock_transport::token() const {
  std::lock_guard guard{mutex_};
  return token_;
}

bool mock_transport::connected() const {
  std::lock_guard guard{mutex_};
  return connected_;
}

void mock_transport::register_worker(worker_registration reg,
                                     callback<json::value> done) {
  {
    std::lock_guard guard{mutex_};
    registered_.push_back(std::move(reg));
  }
  json::object answer{{"status", "registered"}, {"worker_id", worker_id_}};
  on_strand([done = std::move(done),
             answer = std::move(answer)](mock_transport&) mutable {
    done(json::value{std::move(answer)});
  });
}

void mock_transport::poll_task(poll_request req,
                               callback<std::optional<task_payload>> done) {
  on_strand([req = std::move(req),
             done = std::move(done)](mock_transport& self) mutable {
    std::optional<json::value> next;
    {
      std::lock_guard guard{self.mutex_};
      if (!self.tasks_.empty()) {
        next = std::move(self.tasks_.front());
        self.tasks_.pop_front();
      }
    }
    if (next)
      return done(to_task(*next));
    auto w = std::make_shared<waiter>(self.strand_);
    w->done = std::move(done);
    self.waiters_.push_back(w);
    double seconds = req.timeout > 0 ? std::min(req.timeout, 1e6) : 0.0;
    w->timer.expires_after(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::duration<double>(seconds)));
    w->timer.async_wait(
        [self = self.shared_from_this(), w](boost::system::error_code ec) {
          if (ec || !w->done)
            return; // served by a pushed task
          self->waiters_.remove(w);
          auto done = std::move(w->done);
          w->done = nullptr;
          done(std::optional<task_payload>{});
        });
  });
}

void mock_transport::deliver_tasks() {
  while (!waiters_.empty()) {
    json::value next;
    {
      std::lock_guard guard{mutex_};
      if (tasks_.empty())
        return;
      next = std::move(tasks_.front());
      tasks_.pop_front();
    }
    auto w = waiters_.front();
    waiters_.pop_front();
    w->timer.cancel();
    auto done = std::move(w->done);
    w->done = nullptr;
    done(to_task(next));
  }
}

void mock_transport::push_task(task_payload task) {
  push_task(to_json(task));
}

void mock_transport::push_task(json::value task) {
  {
    std::lock_guard guard{mutex_};
    tasks_.push_back(std::move(task));
  }
  on_strand([](mock_transport& self) { self.deliver_tasks(); });
}

void mock_transport::send_result(task_result res, callback<result_ack> done) {
  {
    std::lock_guard guard{mutex_};
    results_.push_back(std::move(res));
  }
  on_strand([done = std::move(done)](mock_transport&) {
    done(result_ack{true, "", json::object{{"status", "ok"}}});
  });
}

void mock_transport::send_heartbeat(heartbeat hb,
                                    callback<heartbeat_reply> done) {
  {
    std::lock_guard guard{mutex_};
    heartbeats_.push_back(std::move(hb));
  }
  on_strand([done = std::move(done)](mock_transport&) {
    heartbeat_reply reply;
    reply.raw = json::object{{"status", "ok"}};
    done(std::move(reply));
  });
}

void mock_transport::emit_event(worker_event ev, callback<void> done) {
  {
    std::lock_guard guard{mutex_};
    events_.push_back(std::move(ev));
  }
  on_strand([done = std::move(done)](mock_transport&) { done(status{}); });
}

void mock_transport::refresh_token(callback<token_response> done) {
  token_response t;
  t.access_token = "refreshed-mock-token";
  t.expires_in = 3600;
  t.worker_id = worker_id_;
  {
    std::lock_guard guard{mutex_};
    token_ = t.access_token;
  }
  on_strand(
      [done = std::move(done), t = std::move(t)](mock_transport&) { done(t); });
}

void mock_transport::listen_for_commands(command_handler on_command, bool) {
  on_strand([on_command = std::move(on_command)](mock_transport& self) mutable {
    self.on_command_ = std::move(on_command);
    self.deliver_commands();
  });
}

void mock_transport::deliver_commands() {
  while (on_command_) {
    json::value next;
    {
      std::lock_guard guard{mutex_};
      if (!connected_ || commands_.empty())
        return;
      next = std::move(commands_.front());
      commands_.pop_front();
    }
    if (auto cmd = from_json<worker_command>(next))
      on_command_(std::move(*cmd));
  }
}

void mock_transport::push_command(worker_command cmd) {
  push_command(to_json(cmd));
}

void mock_transport::push_command(json::value cmd) {
  {
    std::lock_guard guard{mutex_};
    commands_.push_back(std::move(cmd));
  }
  on_strand([](mock_transport& self) { self.deliver_commands(); });
}

std::vector<worker_registration> mock_transport::registered() const {
  std::lock_guard guard{mutex_};
  return registered_;
}

std::vector<heartbeat> mock_transport::heartbeats() const {
  std::lock_guard guard{mutex_};
  return heartbeats_;
}

std::vector<task_result> mock_transport::results() const {
  std::lock_guard guard{mutex_};
  return results_;
}

std::vector<worker_event> mock_transport::emitted_events() const {
  std::lock_guard guard{mutex_};
  return events_;
}

} // namespace rxon::runtime
