#pragma once

// One store per database file: an exclusive flock(2) on the file, held by
// the store that opened it. A second orchestrator on the same file would
// recover and dispatch the same tasks, and the task writes number new
// tasks from what they saw at open (see sqlite_task_writes.hpp).

#include "protocol/error.hpp"

#include <string>

namespace rxon::storage {

class file_lock {
public:
  /// Locks `path` (which must exist) or fails naming it: errc::unavailable
  /// when another holder has it.
  static result<file_lock> acquire(const std::string& path);

  file_lock(file_lock&& other) noexcept;
  file_lock& operator=(file_lock&& other) noexcept;
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;
  ~file_lock();

private:
  explicit file_lock(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

} // namespace rxon::storage
