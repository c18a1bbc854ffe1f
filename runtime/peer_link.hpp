#pragma once

// What every process that talks to an orchestrator as a worker shares
// (`rxon worker`, the uplink of `rxon serve --uplink`): which errors are
// worth retrying, transport settings, log fields of an error.

#include "protocol/error.hpp"
#include "protocol/json.hpp"
#include "runtime/transport/transport_options.hpp"

#include <chrono>
#include <string>

namespace rxon::runtime {

/// The first reconnection / retry delay, doubled up to a cap.
inline constexpr std::chrono::milliseconds first_backoff{100};

/// 404 from the orchestrator: it does not know this worker (restarted).
bool not_registered(const error& e);

/// Worth retrying: the orchestrator is down, restarting or busy.
bool retryable(const error& e);

/// {"error","code","http_status"?} for log records.
json::object error_fields(const error& e);

/// Transport settings of a long-lived peer: TLS from `ca`/`insecure`,
/// command channel reconnecting as fast as `max_backoff` allows, transport
/// log lines into the process log.
transport_options peer_transport_options(const std::string& ca, bool insecure,
                                         std::chrono::milliseconds max_backoff);

/// The host name, "unknown" when it cannot be read.
std::string host_name();

} // namespace rxon::runtime
