#pragma once

// Child processes for the command-line tests: spawned with stdout and
// stderr in files, killed and reaped by the destructor whatever happens.

#include "tests/support/temp_dir.hpp"
#include "tests/support/wait_until.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace rxon::test {

using namespace std::chrono_literals;

/// The rxon executable under test (RXON_BINARY from the environment, else
/// the compile definition).
std::string rxon_binary();

class child {
public:
  /// Starts `argv` (argv[0] is a path) with stdin from /dev/null and its
  /// output in `<dir>/<name>.out` and `<dir>/<name>.err`.
  child(const std::vector<std::string>& argv, const std::filesystem::path& dir,
        const std::string& name);
  ~child();
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  void signal(int sig);
  /// The exit status (128 + signal when killed), or nothing on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::string out() const;
  std::string err() const;
  /// Waits until stderr contains `text` (false on timeout or exit).
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout);

private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path out_path_, err_path_;
};

/// Counts the occurrences of `needle` in `text`.
std::size_t count(const std::string& text, const std::string& needle);

} // namespace rxon::test
