#pragma once

// A small, honest in-memory orchestrator_api for the listener tests: one
// "actor" thread, a FIFO of tasks, long polls parked with a timer, leases,
// recorded results/heartbeats/events, and command sinks per worker.

#include "actors/orchestrator_api.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <deque>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rxon::test {

class fake_orchestrator final : public actors::orchestrator_api {
public:
  fake_orchestrator();
  ~fake_orchestrator() override;

  // -- test controls (thread-safe; run on the fake's thread) -----------------

  /// Runs `f` on the actor thread and returns its result.
  template <class F>
  auto call(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task{std::move(f)};
    auto fut = task.get_future();
    boost::asio::post(ioc_, [&task] { task(); });
    return fut.get();
  }

  /// Queues a task for any worker (or wakes a parked poll).
  void push_task(task_payload t);
  /// Sends a command to the worker's attached sink; false if none.
  bool send_command(const std::string& worker_id, worker_command cmd);

  struct recorded {
    std::vector<worker_registration> registrations;
    std::vector<actors::poll_request> polls;
    std::vector<task_result> results;
    std::vector<std::pair<std::string, std::optional<rxon::heartbeat>>>
        heartbeats;
    std::vector<worker_event> events;
    std::vector<std::string> returned_tasks;
    std::map<std::string, std::string> leases; ///< task id -> worker
    std::vector<actors::job_spec> jobs;
    std::size_t queued = 0;
    std::size_t attached = 0; ///< sinks attached now
    std::size_t detaches = 0;
  };
  /// A snapshot of what the fake saw.
  recorded snapshot();

  // -- orchestrator_api -------------------------------------------------------

  void register_holon(worker_registration reg,
                      actors::callback<json::value> done) override;
  void poll(actors::poll_request req,
            actors::callback<std::optional<task_payload>> done) override;
  void return_task(std::string worker_id, std::string task_id) override;
  void post_result(std::string worker_id, task_result res,
                   actors::callback<json::value> done) override;
  void heartbeat(std::string worker_id, std::optional<rxon::heartbeat> hb,
                 actors::callback<json::value> done) override;
  void post_event(std::string worker_id, worker_event ev,
                  actors::callback<json::value> done) override;
  uint64_t attach_commands(std::string worker_id,
                           actors::command_sink sink) override;
  void detach_commands(std::string worker_id, uint64_t token) override;
  void submit(actors::job_spec spec,
              actors::callback<actors::job_ack> done) override;
  void cancel_job(std::string owner, std::string job_id,
                  actors::callback<json::value> done) override;
  void cancel_task(std::string owner, std::string task_id,
                   actors::callback<json::value> done) override;
  void get_job(std::string owner, std::string job_id,
               actors::callback<json::value> done) override;
  void get_task(std::string owner, std::string task_id,
                actors::callback<json::value> done) override;
  void list_jobs(actors::job_query q,
                 actors::callback<json::value> done) override;
  void list_holons(actors::callback<json::value> done) override;
  void holarchy(actors::callback<json::value> done) override;
  void metrics(actors::callback<std::string> done) override;

private:
  struct parked;
  bool offer(task_payload& t); ///< hands `t` to a parked poll if one fits
  void deliver(const std::string& worker, task_payload t,
               actors::callback<std::optional<task_payload>>& done);

  boost::asio::io_context ioc_;
  std::optional<
      boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      work_;
  std::thread thread_;
  // Only touched on thread_.
  std::deque<task_payload> queue_;
  std::list<std::shared_ptr<parked>> parked_;
  std::map<std::string, std::pair<uint64_t, actors::command_sink>> sinks_;
  uint64_t next_token_ = 1;
  uint64_t next_id_ = 1;
  std::map<std::string, std::string> job_owner_;
  std::map<std::string, task_payload> leased_;
  recorded rec_;
};

} // namespace rxon::test
