#pragma once

// Runs a shell command in its own process group with a given stdin and
// captures stdout and stderr; the cancel token kills the whole group.

#include "protocol/error.hpp"
#include "runtime/worker/cancel_token.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace rxon::runtime {

struct process_outcome {
  int exit_code = -1; ///< valid when signal == 0
  int signal = 0;     ///< the signal that killed the shell, or 0
  std::string out;
  std::string err; ///< at most max_stderr bytes
  bool out_truncated = false;
};

struct subprocess_limits {
  std::size_t max_stdout = 32u << 20;
  std::size_t max_stderr = 64u << 10;
};

/// Runs `/bin/sh -c command` with `input` on stdin. Errors only when the
/// process cannot be started; exits and signals are in the outcome. A
/// stdout beyond the limit kills the group (out_truncated).
result<process_outcome> run_shell(const std::string& command,
                                  std::string_view input, cancel_token& cancel,
                                  const subprocess_limits& limits = {});

} // namespace rxon::runtime
