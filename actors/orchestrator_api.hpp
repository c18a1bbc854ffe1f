#pragma once

// The C++ API over the actor runtime, used by the network layer, the
// simulator and tests. Every call is asynchronous: it returns at once and
// invokes its callback exactly once, on an actor thread; callers hop back
// to their own executor (e.g. net::post onto a session's executor) from there.
// Callers authenticate first: worker ids passed here are authenticated.

#include "protocol/error.hpp"
#include "protocol/json.hpp"
#include "protocol/messages.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rxon::actors {

template <class T>
using callback = std::function<void(result<T>)>;

struct poll_request {
  std::string worker_id;
  std::chrono::milliseconds timeout{0};
  /// When set, the poll only receives tasks of these skills.
  std::optional<std::vector<std::string>> available_skills;
  /// When set, these skills are preferred (and indexed as hot).
  std::optional<std::vector<std::string>> hot_skills;
};

/// One task of a job submission (client API body, `tasks[i]`).
struct task_spec {
  std::string type;
  json::value params;
  /// Shared and immutable: the tasks of a job mostly ask for the same, and
  /// a client (or the request parser) can hand them all one copy.
  std::shared_ptr<const rxon::resources> requirements;
  /// Name (= type when absent), version, type. Boxed: few tasks name one,
  /// and inline it would be 400 of the spec's 630 bytes, in every task of
  /// every submitted job.
  std::shared_ptr<const skill_info> skill;
  std::optional<std::vector<installed_artifact>> artifacts;
  double priority = 0;
  std::optional<int64_t> deadline; ///< absolute Unix seconds
  std::optional<double> max_cost;
  int32_t max_attempts = 3;
};

struct job_spec {
  std::string owner; ///< client identity; jobs are only visible to it
  std::vector<task_spec> tasks;
  json::value metadata;
};

struct job_ack {
  std::string job_id;
  std::vector<std::string> task_ids;
};

struct job_query {
  std::string owner;
  std::string status; ///< empty: any
  std::size_t limit = 100;
  std::size_t offset = 0;
};

/// Receives commands for one connected worker (its WebSocket).
using command_sink = std::function<void(const worker_command&)>;

class orchestrator_api {
public:
  virtual ~orchestrator_api() = default;

  // -- worker side (spec §2) --------------------------------------------------

  /// Registers or re-registers a holon. Replies with the register response
  /// body, e.g. {"status":"registered", ...}.
  virtual void register_holon(worker_registration reg,
                              callback<json::value> done)
      = 0;

  /// Long-polls for the next task; nullopt after the timeout (HTTP 204).
  /// A delivered task is leased to the worker. If the caller cannot deliver
  /// it, it must call `return_task` so the task is requeued at once.
  virtual void poll(poll_request req,
                    callback<std::optional<task_payload>> done)
      = 0;

  /// Gives back a task the caller could not deliver.
  virtual void return_task(std::string worker_id, std::string task_id) = 0;

  /// Accepts a result: {"status":"accepted"} once committed, or
  /// {"status":"ignored","reason":...}.
  virtual void post_result(std::string worker_id, task_result res,
                           callback<json::value> done)
      = 0;

  /// Heartbeat, with or without body: {"status":"ok", "cancel_task_ids":[..],
  /// "require_full_sync":true?}.
  virtual void heartbeat(std::string worker_id,
                         std::optional<rxon::heartbeat> hb,
                         callback<json::value> done)
      = 0;

  /// A worker event (HTTP or WebSocket): {"status":"event_accepted"}.
  virtual void post_event(std::string worker_id, worker_event ev,
                          callback<json::value> done)
      = 0;

  /// Attaches a worker's command channel; replaces an older one. Returns a
  /// token for detach_commands.
  virtual uint64_t attach_commands(std::string worker_id, command_sink sink)
      = 0;
  virtual void detach_commands(std::string worker_id, uint64_t token) = 0;

  // -- client side (/api/v1) --------------------------------------------------

  /// Accepts a job once it is committed.
  virtual void submit(job_spec spec, callback<job_ack> done) = 0;
  virtual void cancel_job(std::string owner, std::string job_id,
                          callback<json::value> done)
      = 0;
  virtual void cancel_task(std::string owner, std::string task_id,
                           callback<json::value> done)
      = 0;
  /// {"job_id","status","counts":{state:n},"tasks":[...],"metadata"}.
  virtual void get_job(std::string owner, std::string job_id,
                       callback<json::value> done)
      = 0;
  /// The task view; "result"/"error" only once terminal.
  virtual void get_task(std::string owner, std::string task_id,
                        callback<json::value> done)
      = 0;
  /// {"jobs":[{"job_id","status","counts","created_at"}...]}.
  virtual void list_jobs(job_query q, callback<json::value> done) = 0;
  /// {"workers":[{"worker_id","status","load","skills",...}]}, no secrets.
  virtual void list_holons(callback<json::value> done) = 0;
  /// The holarchy tree {"id","children":[...]}.
  virtual void holarchy(callback<json::value> done) = 0;
  /// Prometheus text exposition of the runtime's own metrics.
  virtual void metrics(callback<std::string> done) = 0;
  /// {"task_id","events":[...]}: the worker events of a task, with their
  /// bubbling chains. Needs a durable store.
  virtual void task_events(std::string owner, std::string task_id,
                           callback<json::value> done) {
    (void)owner;
    (void)task_id;
    done(error{errc::unavailable, "task events are not kept here"});
  }
};

} // namespace rxon::actors
