#pragma once

// Structured logging to stderr: one line per record, as text or as JSON
// lines (`--log-format json`). Thread-safe; cheap when a level is off.

#include "protocol/json.hpp"

#include <string>
#include <string_view>

namespace rxon::runtime::log {

enum class level { debug, info, warn, error };

/// Configures the process-wide logger ("text"/"json", "debug".."error").
void configure(std::string_view format, std::string_view min_level);

bool enabled(level l) noexcept;

/// Writes one record: a message plus structured fields (a JSON object).
void write(level l, std::string_view msg, const json::object& fields = {});

inline void info(std::string_view msg, const json::object& fields = {}) {
  write(level::info, msg, fields);
}
inline void warn(std::string_view msg, const json::object& fields = {}) {
  write(level::warn, msg, fields);
}
inline void error(std::string_view msg, const json::object& fields = {}) {
  write(level::error, msg, fields);
}

} // namespace rxon::runtime::log
