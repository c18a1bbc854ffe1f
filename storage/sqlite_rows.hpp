#pragma once

// Decoding of result rows into records (private to storage/). The selects
// list the columns in the order of the RXON_*_COLUMNS macros.

#include "protocol/error.hpp"
#include "storage/records.hpp"

#include <sqlite3.h>

#include <string>

namespace rxon::storage::sqlite {

/// A TEXT column of the current row (NUL bytes kept); "" for NULL.
std::string column_text(sqlite3_stmt* s, int col);

result<task_record> read_task(sqlite3_stmt* s);
result<job_record> read_job(sqlite3_stmt* s);
result<holon_record> read_holon(sqlite3_stmt* s);
result<event_record> read_event(sqlite3_stmt* s);

} // namespace rxon::storage::sqlite
