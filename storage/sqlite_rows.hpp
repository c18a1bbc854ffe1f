#pragma once

// Decoding of result rows into records (private to storage/). The selects
// list the columns in the order of the RXON_*_COLUMNS macros.

#include "protocol/error.hpp"
#include "storage/records.hpp"

#include <sqlite3.h>

#include <string>

// Column lists shared by the writes, the selects and the readers below.
#define RXON_TASK_COLUMNS                                                      \
  "task_id, job_id, type, state, attempts, max_attempts, holon_id, "           \
  "lease_expiry_ms, not_before_ms, priority, deadline_ms, max_cost, params, "  \
  "requirements, skill, result, error, origin_worker_id, created_ms, "         \
  "updated_ms"
#define RXON_JOB_COLUMNS "job_id, owner, metadata, created_ms"
#define RXON_HOLON_COLUMNS "holon_id, parent_id, registration, registered_ms"
#define RXON_EVENT_COLUMNS "ts_ms, kind, job_id, task_id, holon_id, data"

namespace rxon::storage::sqlite {

/// A TEXT column of the current row (NUL bytes kept); "" for NULL.
std::string column_text(sqlite3_stmt* s, int col);

result<task_record> read_task(sqlite3_stmt* s);
result<job_record> read_job(sqlite3_stmt* s);
result<holon_record> read_holon(sqlite3_stmt* s);
result<event_record> read_event(sqlite3_stmt* s);

} // namespace rxon::storage::sqlite
