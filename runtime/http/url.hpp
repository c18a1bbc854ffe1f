#pragma once

// Request-target parsing: path segments, percent-decoding and form-encoded
// query strings (what aiohttp does for the reference listener).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rxon::runtime {

struct parsed_target {
  std::vector<std::string> segments; ///< decoded, empty ones dropped
  std::vector<std::pair<std::string, std::string>> query; ///< in order
};

/// Splits "/a/b%20c?x=1&y" into segments and query pairs; nullopt for a bad
/// percent escape.
std::optional<parsed_target> parse_target(std::string_view target);

/// Percent-decodes `s`; `plus_is_space` for query strings.
std::optional<std::string> percent_decode(std::string_view s,
                                          bool plus_is_space);

/// The first query value for `key`, or nullptr.
const std::string* query_value(const parsed_target& t, std::string_view key);

/// Splits on ',', strips ASCII whitespace, drops empty items (spec §2.2).
std::vector<std::string> split_skill_list(std::string_view s);

/// Python float() of a poll timeout in seconds: surrounding whitespace,
/// underscores between digits, inf/nan; nullopt when it does not parse.
std::optional<double> parse_python_float(std::string_view s);

} // namespace rxon::runtime
