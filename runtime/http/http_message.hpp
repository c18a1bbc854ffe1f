#pragma once

// Transport-neutral request and response used between the sessions and the
// router, so routing is testable without sockets or Beast.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rxon::runtime {

struct http_request {
  std::string method; ///< "GET", "POST", "PATCH", ...
  std::string target; ///< path and query as sent
  std::string body;
  bool has_body = false;
  std::string worker_token;  ///< X-Worker-Token
  std::string worker_id;     ///< X-Worker-ID
  std::string client_token;  ///< X-Client-Token
  std::string rxon_version;  ///< X-RXON-Version
  std::string cert_identity; ///< verified client certificate CN, if any
};

/// A task handed to a worker by this response: when the response cannot be
/// written, the session returns it so it is requeued at once.
struct task_lease {
  std::string worker_id;
  std::string task_id;
};

struct http_response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<task_lease> lease;
};

} // namespace rxon::runtime
