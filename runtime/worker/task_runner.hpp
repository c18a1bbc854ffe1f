#pragma once

// Runs one task in the worker's mode (--exec, --echo, --sleep-ms) and
// builds its TaskResult. Blocking; runs on the task's own thread.

#include "protocol/messages.hpp"
#include "runtime/worker/cancel_token.hpp"
#include "runtime/worker/worker_options.hpp"

namespace rxon::runtime {

/// The result to post for `task`. Failures carry a TaskError:
/// PERMANENT_ERROR for a non-zero exit or a stdout that is not JSON (the
/// command is wrong for this input: retrying elsewhere will not help),
/// TRANSIENT_ERROR when the command was killed by a signal or the task was
/// cancelled (OOM killer, operator, shutdown: another attempt may work).
/// `details` holds exit_code or signal and stderr.
task_result run_task(const worker_options& opts, const task_payload& task,
                     cancel_token& cancel);

} // namespace rxon::runtime
