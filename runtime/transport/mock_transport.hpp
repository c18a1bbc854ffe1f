#pragma once

// A transport without an orchestrator, for testing holons (spec §3.9; also
// what `mock://` creates). Tasks and commands are pushed in; what the holon
// sent is inspected. Push and inspect functions are thread-safe.

#include "runtime/transport/transport.hpp"

#include <boost/asio/strand.hpp>

#include <deque>
#include <list>
#include <mutex>

namespace rxon::runtime {

class mock_transport final
    : public transport,
      public std::enable_shared_from_this<mock_transport> {
public:
  mock_transport(boost::asio::io_context& io, std::string worker_id,
                 std::string token);

  void connect() override;
  void close() override;
  /// Records `reg`; answers {"status":"registered","worker_id":<id>}.
  void register_worker(worker_registration reg,
                       callback<json::value> done) override;
  /// Waits up to `req.timeout` seconds for a pushed task; the skill filters
  /// are ignored. A pushed object that is not a valid task is consumed and
  /// gives nullopt.
  void poll_task(poll_request req,
                 callback<std::optional<task_payload>> done) override;
  /// Records `res`; always accepted.
  void send_result(task_result res, callback<result_ack> done) override;
  /// Records `hb`; answers {"status":"ok"}.
  void send_heartbeat(heartbeat hb, callback<heartbeat_reply> done) override;
  /// Records `ev`; always succeeds.
  void emit_event(worker_event ev, callback<void> done) override;
  /// Sets the token to "refreshed-mock-token" (expires_in 3600).
  void refresh_token(callback<token_response> done) override;
  /// Delivers pushed commands while connected, in push order.
  void listen_for_commands(command_handler on_command,
                           bool reconnect = true) override;

  const std::string& worker_id() const override { return worker_id_; }
  std::string token() const override;

  void push_task(task_payload task);
  /// A raw object, converted at poll time (like a dict in the reference).
  void push_task(json::value task);
  void push_command(worker_command cmd);
  /// A raw object; one that is not a valid command is dropped.
  void push_command(json::value cmd);

  bool connected() const;
  std::vector<worker_registration> registered() const;
  std::vector<heartbeat> heartbeats() const;
  std::vector<task_result> results() const;
  std::vector<worker_event> emitted_events() const;

private:
  struct waiter;
  void deliver_tasks();
  void deliver_commands();
  template <class F>
  void on_strand(F&& f);

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  std::string worker_id_;
  mutable std::mutex mutex_; ///< guards everything below
  std::string token_;
  bool connected_ = false;
  std::vector<worker_registration> registered_;
  std::vector<heartbeat> heartbeats_;
  std::vector<task_result> results_;
  std::vector<worker_event> events_;
  std::deque<json::value> tasks_;
  std::deque<json::value> commands_;
  // Strand-only state.
  std::list<std::shared_ptr<waiter>> waiters_;
  command_handler on_command_;
};

} // namespace rxon::runtime
