#pragma once

// A child process (e.g. `rxon serve`) whose stderr is read through a pipe,
// so a test can wait for a log line, signal it and reap it, all bounded.

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace rxon::test {

class child_process {
public:
  /// Starts `argv[0]` with the arguments; check running() after.
  explicit child_process(const std::vector<std::string>& argv);
  ~child_process(); ///< SIGKILLs and reaps a child still running
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  bool running() const noexcept { return pid_ > 0; }
  /// The first stderr line containing `needle` within `timeout`.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::milliseconds timeout);
  void signal(int sig);
  /// The exit code, -signal when killed, nullopt after the timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// Everything read from stderr so far (for failure messages).
  const std::string& output() const noexcept { return out_; }

private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::size_t scanned_ = 0;
};

} // namespace rxon::test
