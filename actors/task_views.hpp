#pragma once

// How tasks and jobs look in the client API, whether they come from the
// dispatcher's memory or from the store.

#include "protocol/error.hpp"
#include "protocol/json.hpp"
#include "storage/records.hpp"
#include "storage/store.hpp"

#include <array>
#include <string>

namespace rxon::actors {

/// {"task_id","job_id","type","state","attempts",...}; "result", "error" and
/// "origin_worker_id" only once the task is terminal.
json::value task_view_json(const storage::task_record& t);

/// The job status derived from its task counts (indexed by task_state):
/// pending, running, finished, failed, quarantined or cancelled.
std::string job_status_of(const std::array<int64_t, 8>& counts);

/// {"job_id","status","counts":{state:n},"tasks":[...],"metadata",...}.
json::value job_view_json(const storage::job_record& job,
                          const std::array<int64_t, 8>& counts,
                          json::array tasks);

/// {"task_id","events":[{"ts_ms","sender","event_id","event_type",
/// "origin_worker_id","payload","bubbling_chain"?}...]}: the worker events
/// of an `owner`'s task, oldest first, read from the store.
result<json::value> task_events_json(storage::store& store,
                                     const std::string& owner,
                                     const std::string& task_id);

} // namespace rxon::actors
