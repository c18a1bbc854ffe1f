#pragma once

// The SQLite schema as a list of migration steps (private to storage/).
// `PRAGMA user_version` holds the number of steps applied.

#include "protocol/error.hpp"

struct sqlite3;

namespace rxon::storage {

/// The version a fully migrated database has.
int latest_schema_version() noexcept;

/// Runs every missing step, each in its own transaction with its version
/// bump. Refuses a database newer than this build.
status migrate(sqlite3* db);

/// The database is at the latest version (for read-only connections, which
/// cannot migrate it).
status require_latest(sqlite3* db);

} // namespace rxon::storage
