#pragma once

// Pure helpers that build what goes on the wire (spec §2.2, §2.8, §3.2):
// the base URL, endpoint paths and the poll query.

#include "protocol/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rxon::runtime {

/// An orchestrator address split for Asio: `https://h:8443/base`.
struct base_url {
  bool tls = false;
  std::string host; ///< without IPv6 brackets
  uint16_t port = 0;
  std::string path; ///< "" or "/base", never a trailing '/'
  /// The URL as given after scheme mapping and trailing '/' stripping.
  std::string text;
};

/// Parses `http://`, `https://`, `ws://` or `wss://` URLs (case-sensitive,
/// ws -> http, wss -> https). Anything else: "Unsupported transport scheme
/// in URL: <url>".
result<base_url> parse_base_url(std::string_view url);

/// Percent-encodes one path segment as yarl does (`w 1` -> `w%201`).
std::string encode_path_segment(std::string_view s);

/// Form-encodes a query value: space -> '+', '+' -> %2B, commas literal.
std::string encode_query_value(std::string_view s);

/// Python str(float): 30 -> "30.0", 0.5 -> "0.5", 1e16 -> "1e+16".
std::string python_float_str(double d);

/// The poll query of spec §2.2, starting with '?'. Errors for a negative
/// or non-finite timeout.
result<std::string>
poll_query(double timeout,
           const std::optional<std::vector<std::string>>& available_skills,
           const std::optional<std::vector<std::string>>& hot_skills);

} // namespace rxon::runtime
