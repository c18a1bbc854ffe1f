#pragma once

// Pure mapping of an HTTP answer to a JSON value or a typed error
// (spec §3.3 steps 3-7), testable without sockets.

#include "protocol/error.hpp"
#include "protocol/json.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rxon::runtime {

// See http_client.hpp: apart from the server's http_response.
inline namespace client {

/// The parts of an HTTP response the transport looks at.
struct http_response {
  int status = 0;
  std::string content_type;
  std::string rxon_version; ///< X-RXON-Version, "" when absent
  std::optional<std::string> retry_after;
  std::string body;
};

} // namespace client

/// Whether a Content-Type is JSON: `application/json` or
/// `application/<x>+json`, parameters and case ignored.
bool is_json_content_type(std::string_view content_type);

/// Seconds to wait from a Retry-After value: a number (Python float()
/// syntax) or an HTTP date with a zone. Negative and NaN give 0; nothing
/// when it cannot be parsed.
std::optional<double>
parse_retry_after(std::string_view value,
                  std::chrono::system_clock::time_point now);

/// Maps a response: 204 -> null; 401 -> auth; 429 -> rate_limit with
/// retry_after and detail_code; other >= 400 -> protocol; a non-JSON
/// content type -> protocol; bad JSON -> invalid_json; an empty body ->
/// null. `endpoint` is the unencoded path, for messages.
result<json::value>
interpret_response(const http_response& res, std::string_view endpoint,
                   std::chrono::system_clock::time_point now);

} // namespace rxon::runtime
