#pragma once

// The dispatcher's logic as a plain, deterministic state machine: every
// call takes `now` (Unix ms) and appends what must happen to an `effects`
// value (poll answers, store changes, commands for holons). The dispatcher
// actor only unpacks messages, calls this, and carries out the effects.
//
// Indexes (no scan over all holons or all tasks on the hot path):
// - pending tasks live in one priority queue per requirement class
//   (type + requirements); classes are few (workload diversity);
// - parked polls live in FIFO queues keyed by (skill, holon profile, hot);
//   profiles are few (fleet diversity);
// - compatibility is cached per (profile, class).
// A new task looks at one queue head per compatible profile; a poll looks
// at one queue head per compatible class of the holon's skills.

#include "actors/dispatch_types.hpp"
#include "actors/entry_pool.hpp"
#include "actors/holon_profile.hpp"
#include "actors/id_index.hpp"
#include "actors/orchestrator_api.hpp"
#include "actors/quad_heap.hpp"
#include "actors/seq_table.hpp"
#include "actors/subtree.hpp"
#include "protocol/shared_json.hpp"
#include "protocol/skill_contract.hpp"
#include "storage/records.hpp"

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace rxon::actors {

class dispatcher_state {
public:
  explicit dispatcher_state(dispatch_config cfg, uint64_t seed = 0x5eed);
  ~dispatcher_state();

  const dispatch_config& config() const noexcept { return cfg_; }

  // -- holons -----------------------------------------------------------------

  /// Adds or updates a holon (re-registration keeps its leases and
  /// reputation).
  void add_holon(const worker_registration& reg, int64_t now);
  /// Removes a holon (lost or deregistered); its leased tasks are requeued.
  void remove_holon(const std::string& id, int64_t now, effects& fx);
  /// Requeues a holon's leased tasks but keeps the holon (its actor failed
  /// and was restarted).
  void requeue_leases(const std::string& id, int64_t now, effects& fx);
  bool has_holon(const std::string& id) const;
  std::size_t holon_count() const noexcept { return holons_.size(); }

  // -- client side ------------------------------------------------------------

  /// Validates and accepts a job; its tasks are dispatched or queued.
  result<job_ack> submit(job_spec spec, int64_t now, effects& fx);
  result<json::value> cancel_job(const std::string& owner,
                                 const std::string& job_id, int64_t now,
                                 effects& fx);
  result<json::value> cancel_task(const std::string& owner,
                                  const std::string& task_id, int64_t now,
                                  effects& fx);

  // -- worker side ------------------------------------------------------------

  /// Answers at once when a task is available, otherwise parks the poll
  /// until a task arrives or `req.timeout` passes. The answer is appended to
  /// fx.answers under `id`. Unknown holons get errc::not_found.
  void poll(poll_id id, const poll_request& req, int64_t now, effects& fx);
  /// Forgets a parked poll (its connection went away).
  void cancel_poll(poll_id id);
  /// Requeues a delivered task the caller could not hand over.
  void return_task(const std::string& worker_id, const std::string& task_id,
                   int64_t now, effects& fx);
  /// Moves the result's data (which can be large) into the task.
  json::value post_result(const std::string& worker_id, task_result&& res,
                          int64_t now, effects& fx);
  /// Prefetching for a batch of results, so that posting them does not
  /// wait on one cache miss after another (at scale the tasks went cold
  /// since they were handed out): first every task's slot, then every
  /// task's entry, then post.
  void prefetch_slot(std::string_view task_id) const noexcept;
  void prefetch_entry(std::string_view task_id) const noexcept;
  json::value heartbeat(const std::string& worker_id,
                        const std::optional<rxon::heartbeat>& hb, int64_t now,
                        effects& fx);
  json::value post_event(const std::string& worker_id, const worker_event& ev,
                         int64_t now, effects& fx);

  // -- draining ---------------------------------------------------------------

  /// Stops handing out tasks: parked polls are answered empty, new polls
  /// get nothing, results are still accepted (leases may finish).
  void drain(effects& fx);
  bool draining() const noexcept { return draining_; }

  // -- time -------------------------------------------------------------------

  /// Expires polls, leases and deadlines, and releases backed-off tasks.
  void tick(int64_t now, effects& fx);
  /// The earliest time tick() has work to do (INT64_MAX when none).
  int64_t next_wakeup() const;

  // -- recovery ---------------------------------------------------------------

  /// Loads a job and its unfinished tasks at start; leased tasks go back to
  /// pending (their holons are gone with the old process).
  void restore(const storage::job_record& job,
               std::vector<storage::task_record> tasks, int64_t now,
               effects& fx);

  // -- views ------------------------------------------------------------------

  /// The task record when it is still in memory (its requirements and
  /// skill stay with its class: null here, stored with the task).
  const storage::task_record* find_task(const std::string& id) const;
  std::optional<json::value> job_view(const std::string& owner,
                                      const std::string& job_id) const;
  std::optional<json::value> task_view(const std::string& owner,
                                       const std::string& task_id) const;
  json::value holons_view() const;
  /// Tasks per state, parked polls, holons: for /metrics.
  dispatch_stats stats() const;
  /// The subtree for an uplink: idle slots per skill at once (counters);
  /// skills, profiles and hot skills (one pass over the holons) only when
  /// `known_version` is not the current holon version.
  subtree_view subtree(uint64_t known_version) const;
  /// Parked polls that can take a task now; the holon version (O(1)).
  int64_t idle_polls() const noexcept { return idle_polls_; }
  uint64_t holons_version() const noexcept { return holons_version_; }

private:
  struct task_entry;
  struct job_entry;
  struct holon_entry;
  struct parked_poll;
  struct queue_key {
    double neg_priority;
    uint64_t seq;
    uint32_t gen; ///< the task's queue_gen when queued (stale once moved)
    friend bool operator<(const queue_key& x, const queue_key& y) {
      if (x.neg_priority != y.neg_priority)
        return x.neg_priority < y.neg_priority;
      return x.seq < y.seq;
    }
  };
  /// Pending tasks of one class, best first, as keys only. A task taken out
  /// of the middle (cancelled, or finished while queued) leaves its key
  /// behind as stale, dropped when it reaches the top, so moving keys never
  /// touches the tasks (an indexed heap writes each moved task's slot: a
  /// cache miss per level with millions queued).
  /// Keys mostly arrive in order (new tasks of one priority, by growing
  /// seq): those append to a sorted run, taken from its front in O(1). A
  /// key that does not sort after the run's last (a higher priority, a
  /// retried older task) goes to a 4-ary heap; the top is the better of the
  /// two fronts.
  class pending_heap {
  public:
    bool empty() const noexcept { return live_ == 0; }
    std::size_t size() const noexcept { return live_; }
    std::size_t stale() const noexcept {
      return keys_.size() + (run_.size() - run_head_) - live_;
    }
    bool has_keys() const noexcept {
      return !keys_.empty() || run_head_ < run_.size();
    }
    const queue_key& top_key() const noexcept {
      return heap_first() ? keys_.top() : run_[run_head_];
    }
    void insert(const queue_key& k) {
      if (run_head_ == run_.size() || run_.back() < k)
        run_.push_back(k);
      else
        keys_.push(k);
      ++live_;
    }
    /// Removes the top key; `live`: it belonged to a queued task.
    void pop(bool live) {
      live_ -= live ? 1 : 0;
      if (heap_first()) {
        keys_.pop();
        return;
      }
      // Taken keys are dropped in bulk once they are half the run.
      if (++run_head_ == run_.size()) {
        run_.clear();
        run_head_ = 0;
      } else if (run_head_ >= 1024 && 2 * run_head_ >= run_.size()) {
        run_.erase(run_.begin(),
                   run_.begin() + static_cast<std::ptrdiff_t>(run_head_));
        run_head_ = 0;
      }
    }
    /// A queued task left without its key (now stale).
    void forget() noexcept {
      if (--live_ == 0) { // every key left is stale
        keys_.clear();
        run_.clear();
        run_head_ = 0;
      }
    }
    /// Keeps only the keys `keep` accepts (all live ones).
    template <class F>
    void compact(F keep) {
      keys_.keep_if(keep);
      run_.erase(run_.begin(),
                 run_.begin() + static_cast<std::ptrdiff_t>(run_head_));
      run_head_ = 0;
      std::erase_if(run_, [&](const queue_key& k) { return !keep(k); });
    }

  private:
    /// Whether the top is the heap's (else the run's front).
    bool heap_first() const noexcept {
      if (keys_.empty())
        return false;
      return run_head_ == run_.size() || keys_.top() < run_[run_head_];
    }

    std::vector<queue_key> run_; ///< sorted; [run_head_, end) not taken
    std::size_t run_head_ = 0;
    quad_heap<queue_key, std::less<queue_key>> keys_;
    std::size_t live_ = 0;
  };
  struct class_queue {
    pending_heap pending;
    /// The class's requirements and skill as stored with its tasks (the
    /// tasks in memory do not carry copies; their writes share these).
    json::shared_value requirements_json;
    json::shared_value skill_json;
    bool encoded = false;
  };
  struct wait_lists {
    std::deque<poll_id> hot;
    std::deque<poll_id> cold;
  };
  using timer = std::pair<int64_t, uint64_t>; // (when, key)
  using timer_heap
      = std::priority_queue<timer, std::vector<timer>, std::greater<timer>>;

  /// What an id minted here encodes (see dispatcher_tasks.cpp).
  struct id_parts {
    int64_t ms = 0;
    uint64_t seq = 0;
    uint32_t tail = 0;
  };
  static std::string format_id(const id_parts& p);
  static std::optional<id_parts> parse_id(std::string_view id) noexcept;
  /// A fresh id for `seq` at `now`.
  id_parts next_id(int64_t now, uint64_t seq);
  task_entry* find_entry(std::string_view task_id) const;
  using task_ptr = entry_pool<task_entry>::ptr;
  task_ptr new_task();
  task_entry& add_task(task_ptr t);
  void drop_task(task_entry& t);
  void enqueue(task_entry& t, int64_t now, effects& fx);
  /// Takes a queued task out of its class's queue.
  void dequeue(task_entry& t);
  void make_pending(task_entry& t, int64_t now, effects& fx);
  /// Makes room for class `c` in queues_ and heads_.
  void add_class(class_id c);
  void refresh_head(class_id c) noexcept {
    const auto& q = queues_[c].pending;
    heads_[c] = q.empty() ? no_head : q.top_key();
  }
  bool try_push(task_entry& t, int64_t now, effects& fx);
  void deliver(task_entry& t, parked_poll& p, int64_t now, effects& fx);
  void deliver_to(task_entry& t, holon_entry& h, poll_id id, int64_t now,
                  effects& fx);
  task_entry* best_task_for(holon_entry& h, const poll_request& req,
                            int64_t now, effects& fx);
  void park(poll_id id, holon_entry& h, const poll_request& req, int64_t now);
  void unpark(poll_id id);
  /// Records a sign of life; reports it when touch_every_ms has passed.
  void touch(holon_entry& h, int64_t now, effects& fx);
  bool poll_alive(poll_id id) const;
  void finish(task_entry& t, storage::task_state s, int64_t now, effects& fx);
  void release_lease(task_entry& t);
  void retry_or_fail(task_entry& t, const json::value& err, int64_t now,
                     effects& fx);
  void set_state(task_entry& t, storage::task_state s);
  void persist(task_entry& t, int64_t now, effects& fx);
  void send_cancel(task_entry& t, effects& fx);
  void adjust_reputation(holon_entry* h, double delta);
  status check_contract(const task_entry& t, const holon_entry& h) const;
  status check_output(const task_entry& t, const holon_entry& h,
                      const json::value& data) const;
  json::value task_json(const task_entry& t) const;
  std::string job_status(const job_entry& j) const;
  void evict_terminal();
  /// Takes a parked poll out of the idle counters.
  void forget_parked(parked_poll& p);
  /// Reports a watched job's task to the observer (effects::notices).
  void notify(const task_entry& t, task_notice::kind what, effects& fx,
              const worker_event* ev = nullptr) const;
  /// Puts a task's requirements into the payload for a sub-orchestrator.
  void pass_requirements(const task_entry& t, task_payload& p) const;

  dispatch_config cfg_;
  std::mt19937_64 rng_;
  profile_registry profiles_;
  uint64_t next_seq_ = 1; ///< for ids, and the age order of tasks

  /// Tasks by seq; an id minted here carries its seq, so a lookup by id
  /// decodes it instead of hashing. Tasks restored from the store keep
  /// their old ids: those resolve through foreign_ids_.
  entry_pool<task_entry> task_pool_; ///< before tasks_, which it outlives
  seq_table<task_entry, entry_pool<task_entry>::deleter> tasks_;
  std::unordered_map<std::string, uint64_t> foreign_ids_;
  std::unordered_map<std::string, std::unique_ptr<job_entry>> jobs_;
  id_index<holon_entry> holons_;

  std::vector<class_queue> queues_; ///< by class_id
  /// Each class's top key (or `no_head` when it has no queued task), by
  /// class_id: a dense copy, so a poll comparing the heads of all its
  /// classes reads one small array, not each class's heap (a cache miss
  /// apiece). Refreshed by refresh_head after every change of a heap.
  std::vector<queue_key> heads_;
  static constexpr queue_key no_head{0, UINT64_MAX, 0};

  std::unordered_map<poll_id, std::unique_ptr<parked_poll>> parked_;
  /// skill -> profile -> parked polls (FIFO; stale ids skipped lazily)
  std::unordered_map<std::string, std::map<profile_id, wait_lists>> waiting_;

  timer_heap poll_timers_;     ///< key = poll id
  timer_heap lease_timers_;    ///< key = task seq
  timer_heap deadline_timers_; ///< key = task seq
  timer_heap backoff_timers_;  ///< key = task seq

  std::deque<uint64_t> terminal_order_; ///< eviction order of finished tasks
  std::array<int64_t, 8> state_counts_{};
  uint64_t dispatched_ = 0;
  bool draining_ = false;
  std::array<uint64_t, 9> latency_counts_{};
  int64_t latency_sum_ms_ = 0;
  // For subtree(): idle slots per skill, kept by park/unpark.
  std::unordered_map<std::string_view, int64_t> idle_by_skill_;
  int64_t idle_polls_ = 0;
  uint64_t holons_version_ = 1;
};

} // namespace rxon::actors
