#pragma once

// The orchestrator runtime: an actor system with the dispatcher actor, the
// root holon actor (supervisor of every registered holon) and, when durable,
// the storage writer. It implements orchestrator_api for the network layer.

#include "actors/dispatch_types.hpp"
#include "actors/orchestrator_api.hpp"
#include "actors/subtree.hpp"
#include "storage/store.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rxon::actors {

struct orchestrator_options {
  dispatch_config dispatch;
  int64_t holon_ttl_ms = 120'000;
  /// SQLite file; empty: in memory only (nothing survives a restart).
  std::string db_path;
  storage::sync_mode synchronous = storage::sync_mode::normal;
  /// How long the storage writer waits to gather a group commit. 0: paced
  /// by load. While the writer has time to spare it commits as soon as
  /// something is queued, so acknowledgement latency is one commit. Once
  /// it spends half its time committing, a group gathers while changes
  /// keep arriving, for up to `busy_gather` (storage/writer.cpp, take).
  /// A fixed delay adds itself to every acknowledgement, loaded or not.
  std::chrono::microseconds commit_delay{0};
  std::chrono::microseconds busy_gather{1000}; ///< paced mode only
  /// Uncommitted changes at which newly submitted jobs wait, in order, for
  /// the writer to catch up (checked each millisecond), so a flood of jobs
  /// cannot pile its task records onto the writer's queue. Polls, results
  /// and events are never held.
  std::size_t max_write_backlog = 16384;
  /// Unix ms; defaults to the system clock.
  std::function<int64_t()> clock;
  uint64_t seed = 0; ///< 0: random ids seeded from the OS
  std::size_t scheduler_threads = 1;
  /// The actor scheduler's threads and the storage threads run under
  /// SCHED_BATCH (see thread_policy.hpp): their wake-ups do not preempt
  /// the listener's io threads. bench http, 32 connections: see README.
  bool batch_scheduling = true;
  /// Runs the actors on CAF's single-threaded testing scheduler with a
  /// manual clock: nothing happens until run_until_idle / advance_to are
  /// called, and `clock` then reads the simulated time (starting at
  /// `clock()` or 1.7e12 ms). Used by `rxon simulate` and tests.
  bool deterministic = false;
  /// Called on the actor thread for each notice of a watched job
  /// (dispatch.watch_owner); must not block. The notices of recovery (a
  /// reloaded task, one that timed out meanwhile) come earlier, during
  /// start(), on the thread that calls it.
  std::function<void(task_notice&&)> observer;
};

/// One item of orchestrator::post_results.
struct result_post {
  std::string worker_id;
  task_result res;
  callback<json::value> done;
};

class orchestrator final : public orchestrator_api {
public:
  /// Opens the store, recovers unfinished tasks and registered holons, and
  /// starts the actors.
  static result<std::unique_ptr<orchestrator>> start(orchestrator_options opts);

  ~orchestrator() override; ///< Stops the actors and flushes the store.

  /// Registers a holon below another one (in-process holarchies).
  void register_child(worker_registration reg, std::string parent_id,
                      callback<json::value> done);

  /// Blocks until every change so far is committed (tests, shutdown).
  void flush();

  /// Stops handing out tasks; results are still accepted. For draining.
  void drain();

  /// Dispatcher statistics (tasks by state, queue depth, holons...).
  void stats(callback<dispatch_stats> done);

  /// The subtree for an uplink (see dispatcher_state::subtree). With
  /// `wait_ms` > 0 the answer waits until a poll is idle or the holons
  /// change, at most that long.
  void subtree(uint64_t known_version, callback<subtree_view> done,
               int64_t wait_ms = 0);

  /// Group commits so far (0 without a store).
  uint64_t commits() const noexcept;

  // -- deterministic mode (options.deterministic) ---------------------------

  /// Runs every pending message; returns how many actor steps ran.
  std::size_t run_until_idle();
  /// Simulated time now (Unix ms).
  int64_t now_ms() const;
  /// Simulated time of the next actor timer; INT64_MAX when none.
  int64_t next_timer_ms() const;
  /// Moves the simulated clock forward to `ms` and fires the timers due.
  void advance_to(int64_t ms);

  /// Fault injection: ends holon `id`'s actor abnormally, as a crash would;
  /// its supervisor then applies the restart policy.
  void crash_holon(std::string id);

  /// Posts many results (of any workers) as one dispatcher message, all
  /// committed together; each callback gets what post_result would answer.
  /// For transports that gather results, and rxon simulate.
  void post_results(std::vector<result_post> batch);

  /// Tasks recovered from the store at start.
  std::size_t recovered_tasks() const noexcept { return recovered_; }

  // -- orchestrator_api -------------------------------------------------------

  void register_holon(worker_registration reg,
                      callback<json::value> done) override;
  void poll(poll_request req,
            callback<std::optional<task_payload>> done) override;
  void return_task(std::string worker_id, std::string task_id) override;
  void post_result(std::string worker_id, task_result res,
                   callback<json::value> done) override;
  void heartbeat(std::string worker_id, std::optional<rxon::heartbeat> hb,
                 callback<json::value> done) override;
  void post_event(std::string worker_id, worker_event ev,
                  callback<json::value> done) override;
  uint64_t attach_commands(std::string worker_id, command_sink sink) override;
  void detach_commands(std::string worker_id, uint64_t token) override;
  void submit(job_spec spec, callback<job_ack> done) override;
  void cancel_job(std::string owner, std::string job_id,
                  callback<json::value> done) override;
  void cancel_task(std::string owner, std::string task_id,
                   callback<json::value> done) override;
  void get_job(std::string owner, std::string job_id,
               callback<json::value> done) override;
  void get_task(std::string owner, std::string task_id,
                callback<json::value> done) override;
  void list_jobs(job_query q, callback<json::value> done) override;
  void list_holons(callback<json::value> done) override;
  void holarchy(callback<json::value> done) override;
  void metrics(callback<std::string> done) override;
  void task_events(std::string owner, std::string task_id,
                   callback<json::value> done) override;

private:
  struct impl;
  explicit orchestrator(std::unique_ptr<impl> p);
  void client(int kind, std::string owner, std::string id,
              callback<json::value> done);

  std::unique_ptr<impl> impl_;
  std::size_t recovered_ = 0;
};

/// Milliseconds since the Unix epoch from the system clock.
int64_t system_clock_ms();

} // namespace rxon::actors
