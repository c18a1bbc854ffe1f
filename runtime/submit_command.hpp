#pragma once

#include <string>
#include <vector>

namespace rxon::runtime {

/// `rxon submit [options]`: submits one task through the client API and
/// prints {"job_id","task_id"}; with --wait, polls the task until it is
/// terminal and prints its view. Exit codes: 0 success, 1 HTTP/network
/// error or a task that did not succeed (or --timeout-s passed), 2 bad
/// arguments.
int run_submit(const std::vector<std::string>& args);

} // namespace rxon::runtime
