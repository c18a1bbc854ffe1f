#pragma once

// Every constant of rxon.constants (spec §7), with the reference's names in
// snake_case.

#include <array>
#include <string_view>

namespace rxon {

// -- protocol
// -------------------------------------------------------------------
inline constexpr std::string_view protocol_version = "1.0b13";
inline constexpr std::string_view protocol_version_header = "X-RXON-Version";

// -- headers
// --------------------------------------------------------------------
inline constexpr std::string_view auth_header_client = "X-Client-Token";
inline constexpr std::string_view auth_header_worker = "X-Worker-Token";
inline constexpr std::string_view auth_header_worker_id = "X-Worker-ID";

// -- endpoints
// ------------------------------------------------------------------
inline constexpr std::string_view worker_api_prefix = "/_worker";
inline constexpr std::string_view sts_token_endpoint = "/_worker/auth/token";
inline constexpr std::string_view sts_refresh_endpoint
    = "/_worker/auth/token/refresh";
/// The client appends `/{worker_id}`.
inline constexpr std::string_view ws_endpoint = "/_worker/ws";
inline constexpr std::string_view endpoint_worker_register
    = "/_worker/workers/register";
inline constexpr std::string_view endpoint_task_next
    = "/_worker/workers/{worker_id}/tasks/next";
inline constexpr std::string_view endpoint_task_result
    = "/_worker/tasks/result";
inline constexpr std::string_view endpoint_worker_heartbeat
    = "/_worker/workers/{worker_id}";
inline constexpr std::string_view endpoint_worker_events = "/_worker/events";

// -- error codes (TaskError.code, rate-limit details.code)
// ----------------------
inline constexpr std::string_view error_code_transient = "TRANSIENT_ERROR";
inline constexpr std::string_view error_code_permanent = "PERMANENT_ERROR";
inline constexpr std::string_view error_code_invalid_input
    = "INVALID_INPUT_ERROR";
inline constexpr std::string_view error_code_integrity_mismatch
    = "INTEGRITY_MISMATCH_ERROR";
inline constexpr std::string_view error_code_timeout = "TIMEOUT_ERROR";
inline constexpr std::string_view error_code_late_result = "LATE_RESULT";
inline constexpr std::string_view error_code_resource_exhausted
    = "RESOURCE_EXHAUSTED_ERROR";
inline constexpr std::string_view error_code_limit_exceeded
    = "LIMIT_EXCEEDED_ERROR";
inline constexpr std::string_view error_code_contract_violation
    = "CONTRACT_VIOLATION_ERROR";
inline constexpr std::string_view error_code_dependency_missing
    = "DEPENDENCY_MISSING_ERROR";
inline constexpr std::string_view error_code_dependency = "DEPENDENCY_ERROR";
inline constexpr std::string_view error_code_security = "SECURITY_ERROR";
inline constexpr std::string_view error_code_internal = "INTERNAL_ERROR";

// -- ignored-result reasons
// -----------------------------------------------------
inline constexpr std::string_view ignored_reason_late = "deadline_exceeded";
inline constexpr std::string_view ignored_reason_cancelled = "job_cancelled";
inline constexpr std::string_view ignored_reason_not_found = "job_not_found";
inline constexpr std::string_view ignored_reason_mismatch = "worker_mismatch";
inline constexpr std::string_view ignored_reason_stale = "stale_task";

// -- heartbeat response keys
// ----------------------------------------------------
inline constexpr std::string_view hb_resp_require_full_sync
    = "require_full_sync";
inline constexpr std::string_view hb_resp_cancel_tasks = "cancel_task_ids";

// -- task statuses (TaskResult.status)
// ------------------------------------------
inline constexpr std::string_view task_status_success = "success";
inline constexpr std::string_view task_status_failure = "failure";
inline constexpr std::string_view task_status_cancelled = "cancelled";

// -- commands and events
// --------------------------------------------------------
inline constexpr std::string_view command_cancel_task = "cancel_task";
inline constexpr std::string_view event_type_progress = "progress";

// -- job statuses
// ---------------------------------------------------------------
inline constexpr std::string_view job_status_pending = "pending";
inline constexpr std::string_view job_status_waiting_for_worker
    = "waiting_for_worker";
inline constexpr std::string_view job_status_running = "running";
inline constexpr std::string_view job_status_finished = "finished";
inline constexpr std::string_view job_status_failed = "failed";
inline constexpr std::string_view job_status_error = "error";
inline constexpr std::string_view job_status_quarantined = "quarantined";
inline constexpr std::string_view job_status_cancelled = "cancelled";
inline constexpr std::string_view job_status_waiting_for_human
    = "waiting_for_human";
inline constexpr std::string_view job_status_waiting_for_parallel
    = "waiting_for_parallel_tasks";

/// Job statuses after which nothing changes (b13).
inline constexpr std::array<std::string_view, 5> terminal_states
    = {job_status_finished, job_status_failed, job_status_error,
       job_status_quarantined, job_status_cancelled};

constexpr bool is_terminal_state(std::string_view status) noexcept {
  for (auto s : terminal_states)
    if (s == status)
      return true;
  return false;
}

// -- worker statuses (b10)
// ------------------------------------------------------
inline constexpr std::string_view worker_status_active = "active";
inline constexpr std::string_view worker_status_draining = "draining";

} // namespace rxon
