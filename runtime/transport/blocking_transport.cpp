#include "runtime/transport/blocking_transport.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <future>

namespace rxon::runtime {

namespace {

/// Starts an asynchronous operation and waits for its callback.
template <class T, class Start>
result<T> wait_for(Start&& start) {
  std::promise<result<T>> promise;
  auto future = promise.get_future();
  start([&promise](result<T> r) { promise.set_value(std::move(r)); });
  return future.get();
}

} // namespace

result<std::unique_ptr<blocking_transport>>
blocking_transport::create(std::string_view url, std::string worker_id,
                           std::string token, transport_options opts) {
  std::unique_ptr<blocking_transport> self{new blocking_transport};
  auto t = create_transport(self->io_, url, std::move(worker_id),
                            std::move(token), std::move(opts));
  if (!t)
    return t.error();
  self->async_ = std::move(*t);
  self->thread_ = std::thread([io = &self->io_] {
    auto guard = boost::asio::make_work_guard(*io);
    io->run();
  });
  return self;
}

blocking_transport::~blocking_transport() {
  if (!async_ || !thread_.joinable())
    return; // create() failed before the io thread started
  async_->close();
  // Let the close run before stopping the loop (one io thread: FIFO).
  std::promise<void> closed;
  boost::asio::post(io_, [&closed] { closed.set_value(); });
  closed.get_future().wait();
  io_.stop();
  thread_.join();
}

result<json::value>
blocking_transport::register_worker(const worker_registration& reg) {
  return wait_for<json::value>(
      [&](auto done) { async_->register_worker(reg, std::move(done)); });
}

result<std::optional<task_payload>>
blocking_transport::poll_task(const poll_request& req) {
  return wait_for<std::optional<task_payload>>(
      [&](auto done) { async_->poll_task(req, std::move(done)); });
}

result<result_ack> blocking_transport::send_result(const task_result& res) {
  return wait_for<result_ack>(
      [&](auto done) { async_->send_result(res, std::move(done)); });
}

result<heartbeat_reply>
blocking_transport::send_heartbeat(const heartbeat& hb) {
  return wait_for<heartbeat_reply>(
      [&](auto done) { async_->send_heartbeat(hb, std::move(done)); });
}

status blocking_transport::emit_event(const worker_event& ev) {
  return wait_for<void>(
      [&](auto done) { async_->emit_event(ev, std::move(done)); });
}

result<token_response> blocking_transport::refresh_token() {
  return wait_for<token_response>(
      [&](auto done) { async_->refresh_token(std::move(done)); });
}

} // namespace rxon::runtime
