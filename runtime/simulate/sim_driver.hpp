#pragma once

// Private to simulator*.cpp: the discrete-event driver of simulated holons.
// Simulated holons talk to the orchestrator only through its public API
// (register, poll, post_result, heartbeat), as network sessions do.

#include "actors/orchestrator.hpp"
#include "actors/quad_heap.hpp"
#include "runtime/simulate/simulator.hpp"
#include "runtime/simulate/task_book.hpp"

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace rxon::runtime::simulate {

class sim_driver {
public:
  sim_driver(const sim_options& opts, topology tree, progress_fn progress);
  result<sim_run> run();

private:
  enum class ev : uint8_t {
    arrival,
    complete,
    crash,
    repoll,
    heartbeat,
    subtree_loss
  };
  struct event {
    int64_t at;
    uint64_t seq;
    ev kind;
    uint32_t node;
    uint32_t gen;
    struct earlier {
      bool operator()(const event& x, const event& y) const noexcept {
        return x.at != y.at ? x.at < y.at : x.seq < y.seq;
      }
    };
  };
  /// A simulated holon process: at most one task at a time.
  struct holon_sim {
    std::string job_id;
    std::string task_id;
    int64_t started = 0;
    int64_t busy_ms = 0;
    uint32_t task = UINT32_MAX;
    uint32_t gen = 0; ///< bumped by a crash or a loss: stale events ignored
    bool alive = true;
    bool busy = false;
    bool hb = false; ///< a heartbeat event is scheduled
  };
  static constexpr uint32_t no_task = UINT32_MAX;

  // -- setup (simulator.cpp) --------------------------------------------------
  status start();
  status register_all();
  void schedule_failures();
  status tally();
  sim_run finish();
  bool finished() const;

  // -- events (sim_events.cpp) ------------------------------------------------
  void schedule(int64_t at, ev kind, uint32_t node = 0, uint32_t gen = 0);
  void handle(const event& e);
  void arrive();
  void submit_job(std::size_t n);
  void poll(uint32_t h);
  void on_poll(uint32_t h, uint32_t gen, result<std::optional<task_payload>> r);
  void begin_task(uint32_t h, task_payload& t);
  void complete(uint32_t h);
  void flush_results();
  void crash(uint32_t h);
  void heartbeat(uint32_t h);
  void lose_subtree(uint32_t root);
  void reregister(uint32_t h);
  void on_accepted(uint32_t task, uint32_t h);
  int64_t now() const { return orch_->now_ms(); }
  std::string parent_id(uint32_t h) const;

  sim_options opts_;
  topology tree_;
  progress_fn progress_;
  std::unique_ptr<actors::orchestrator> orch_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  actors::quad_heap<event, event::earlier> events_;
  uint64_t seq_ = 0;

  std::vector<holon_sim> holons_;
  std::vector<uint32_t> types_; ///< task types some leaf can run
  std::vector<double> type_cdf_;
  /// Per task type (as types_): the GPU its tasks need, one copy they all
  /// share; null for types without one.
  std::vector<std::shared_ptr<const resources>> type_needs_;

  task_book book_; ///< per task: submit time, flags, id
  /// Results of this instant, posted as one batch, then the polls of the
  /// holons that posted them (a worker polls after its result is in).
  std::vector<actors::result_post> results_;
  std::vector<std::pair<uint32_t, uint32_t>> repolls_; ///< holon, gen

  int64_t t0_ = 0;
  int64_t arrivals_end_ = 0; ///< rate mode: last arrival time
  int64_t deadline_ = 0;
  int64_t last_progress_ms_ = 0; ///< last completion (stall detection)
  bool arrival_pending_ = false;
  bool arrivals_done_ = false;
  status failure_;
  summary s_;
  std::vector<uint8_t> lost_;
};

} // namespace rxon::runtime::simulate
