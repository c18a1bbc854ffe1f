#include "runtime/worker/task_runner.hpp"

#include "protocol/constants.hpp"
#include "runtime/worker/subprocess.hpp"

#include <csignal>
#include <cstring>

namespace rxon::runtime {

namespace {

task_result failure(const task_payload& task, std::string_view code,
                    std::string message, json::object details = {}) {
  task_result r;
  r.job_id = task.job_id;
  r.task_id = task.task_id;
  r.status = std::string{task_status_failure};
  r.error = task_error{std::string{code}, std::move(message),
                       details.empty() ? json::value{}
                                       : json::value{std::move(details)}};
  return r;
}

task_result success(const task_payload& task, json::value data) {
  task_result r;
  r.job_id = task.job_id;
  r.task_id = task.task_id;
  r.status = std::string{task_status_success};
  r.data = std::move(data);
  return r;
}

task_result cancelled(const task_payload& task, const cancel_token& cancel) {
  return failure(task, error_code_transient,
                 "task interrupted: " + cancel.reason());
}

task_result run_exec(const worker_options& opts, const task_payload& task,
                     cancel_token& cancel) {
  std::string input = json::to_string(
      task.params.is_null() ? json::value{json::object{}} : task.params);
  auto run = run_shell(opts.exec_command, input, cancel);
  if (!run)
    return failure(task, error_code_transient, run.error().message);
  const auto& p = *run;
  if (cancel.cancelled())
    return cancelled(task, cancel);
  json::object details{{"stderr", p.err}};
  if (p.signal != 0) {
    details.set("signal", p.signal);
    const char* name = ::sigdescr_np(p.signal);
    return failure(task, error_code_transient,
                   std::string{"command killed by signal "}
                       + std::to_string(p.signal) + " ("
                       + (name ? name : "unknown") + ")",
                   std::move(details));
  }
  details.set("exit_code", p.exit_code);
  if (p.out_truncated)
    return failure(task, error_code_permanent,
                   "command stdout exceeds the size limit", std::move(details));
  if (p.exit_code != 0)
    return failure(task, error_code_permanent,
                   "command exited with status " + std::to_string(p.exit_code)
                       + (p.err.empty() ? "" : ": " + p.err),
                   std::move(details));
  auto data = json::parse(p.out);
  if (!data)
    return failure(task, error_code_permanent,
                   "command stdout is not JSON: " + data.error().message,
                   std::move(details));
  return success(task, std::move(*data));
}

} // namespace

task_result run_task(const worker_options& opts, const task_payload& task,
                     cancel_token& cancel) {
  switch (opts.mode) {
  case task_mode::exec:
    return run_exec(opts, task, cancel);
  case task_mode::sleep:
    if (!cancel.sleep_for(std::chrono::milliseconds{opts.sleep_ms}))
      return cancelled(task, cancel);
    return success(task, json::object{{"slept_ms", opts.sleep_ms}});
  case task_mode::echo:
  default:
    return success(task, task.params.is_null() ? json::value{json::object{}}
                                               : task.params);
  }
}

} // namespace rxon::runtime
