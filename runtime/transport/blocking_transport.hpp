#pragma once

// A blocking facade over the asynchronous transport, with its own io
// thread. For command-line tools and simple workers; never call it from a
// CAF scheduler thread or from a transport callback.

#include "runtime/transport/transport.hpp"

#include <thread>

namespace rxon::runtime {

class blocking_transport {
public:
  /// Same URLs and errors as create_transport().
  static result<std::unique_ptr<blocking_transport>>
  create(std::string_view url, std::string worker_id, std::string token,
         transport_options opts = {});

  ~blocking_transport();
  blocking_transport(const blocking_transport&) = delete;
  blocking_transport& operator=(const blocking_transport&) = delete;

  void connect() { async_->connect(); }
  void close() { async_->close(); }
  result<json::value> register_worker(const worker_registration& reg);
  result<std::optional<task_payload>> poll_task(const poll_request& req);
  result<result_ack> send_result(const task_result& res);
  result<heartbeat_reply> send_heartbeat(const heartbeat& hb);
  status emit_event(const worker_event& ev);
  result<token_response> refresh_token();
  /// `on_command` runs on the io thread.
  void listen_for_commands(command_handler on_command, bool reconnect = true) {
    async_->listen_for_commands(std::move(on_command), reconnect);
  }

  /// The asynchronous transport underneath (runs on the io thread).
  transport& async() { return *async_; }

private:
  blocking_transport() = default;

  boost::asio::io_context io_;
  std::shared_ptr<transport> async_;
  std::thread thread_;
};

} // namespace rxon::runtime
