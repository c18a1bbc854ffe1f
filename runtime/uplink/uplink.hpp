#pragma once

// The uplink of `rxon serve --uplink URL`: this orchestrator as a holon of
// a parent orchestrator (shell-stacking). It registers upward with the
// subtree's skills and profiles, pulls tasks only while the subtree has
// idle slots for them, runs each as a local job (owner `owner()`, the
// parent's ids in the job metadata), and posts results and relays events
// upward. Cancels from the parent cancel the local task.
//
// Threads (none of them an actor thread): the pull loop (registration and
// polls), the push loop (results, events, placement deadlines), the
// heartbeat loop, and the transport's io thread (commands). The local
// orchestrator reports its watched jobs through observer(), which only
// queues.
//
// Uplink loss: the subtree keeps working; the pull loop reconnects with
// capped backoff and re-registers; results of tasks that finish meanwhile
// wait in a bounded backlog and are posted once the parent is back.

#include "actors/orchestrator.hpp"
#include "runtime/transport/blocking_transport.hpp"
#include "runtime/uplink/uplink_mapping.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace rxon::runtime {

struct uplink_options {
  std::string url;
  std::string id;
  std::string token;
  std::string tls_ca;
  /// HMAC secret at the parent, when it requires signed messages.
  std::string secret;
  std::chrono::milliseconds heartbeat{5000};
  /// A pulled task not placed on a local holon within this goes back as
  /// RESOURCE_EXHAUSTED_ERROR.
  std::chrono::milliseconds place_timeout{2000};
  std::chrono::milliseconds max_backoff{2000};
  double poll_timeout_s = 1.0;
  /// Threads posting results and events upward (each one request at a
  /// time): results are small, the round trip is what limits them.
  int posters = 4;
  /// Results kept while the parent is unreachable; the oldest are dropped
  /// beyond (the parent's lease then requeues those tasks).
  std::size_t backlog = 10'000;
  /// Owner of the local jobs run for the parent.
  std::string owner = "rxon.uplink";
};

class uplink {
public:
  explicit uplink(uplink_options opts);
  ~uplink();
  uplink(const uplink&) = delete;
  uplink& operator=(const uplink&) = delete;

  const std::string& owner() const { return opts_.owner; }
  /// For orchestrator_options::observer (install before the orchestrator
  /// starts, with dispatch.watch_owner = owner()).
  std::function<void(actors::task_notice&&)> observer();

  /// Connects to the parent and starts the loops. `local` must outlive
  /// stop(). Errors: a malformed URL.
  status start(actors::orchestrator& local);
  /// Stops pulling tasks (drain); results still go up.
  void stop_pulling();
  /// Stops everything; results still queued get `flush` to go up.
  void stop(std::chrono::milliseconds flush = std::chrono::milliseconds{2000});

private:
  struct flight {
    std::string parent_job_id;
    std::string local_task_id; ///< empty until the local submit is acked
    std::chrono::steady_clock::time_point pulled_at;
    bool placed = false;
    bool cancel_requested = false; ///< by the parent
  };
  using clock = std::chrono::steady_clock;

  void on_notice(actors::task_notice&& n);
  void pull_loop();
  void push_loop();
  void heartbeat_loop();
  status register_once();
  void place(task_payload task);
  void cancel_from_parent(const std::string& parent_task_id);
  void check_placement();
  void enqueue_result(task_result res);
  /// Takes a full subtree view as what is advertised (lock held).
  void adopt(const actors::subtree_view& v);
  /// Sleeps `delay` unless stopping; doubles it up to the cap.
  void backoff_wait(std::chrono::milliseconds& delay);

  uplink_options opts_;
  actors::orchestrator* local_ = nullptr;
  std::unique_ptr<blocking_transport> transport_;

  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool pulling_ = true;
  bool need_register_ = true;
  actors::subtree_view subtree_; ///< last full view
  std::string current_hash_;
  std::string registered_hash_;
  using flight_map = std::unordered_map<std::string, flight>;

  /// Tasks pulled from the parent and not finished, by parent task id.
  flight_map flights_;
  /// Flights in pull order, for the placement deadline (lazy: entries of
  /// flights placed or gone are skipped).
  std::deque<std::pair<clock::time_point, std::string>> placement_order_;
  /// Results to post upward, oldest first.
  std::deque<task_result> results_;
  int posting_ = 0; ///< results taken by a poster, not yet done
  bool listening_ = false;
  std::deque<worker_event> events_;
  std::thread pull_, heartbeat_;
  std::vector<std::thread> pushers_;
};

} // namespace rxon::runtime
