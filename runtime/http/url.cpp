#include "runtime/http/url.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace rxon::runtime {

namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
         || c == '\v';
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::optional<std::string> percent_decode(std::string_view s,
                                          bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size())
        return std::nullopt;
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<parsed_target> parse_target(std::string_view target) {
  parsed_target out;
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query
      = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  while (!path.empty()) {
    auto slash = path.find('/');
    auto seg = path.substr(0, slash);
    if (!seg.empty()) {
      auto decoded = percent_decode(seg, false);
      if (!decoded)
        return std::nullopt;
      out.segments.push_back(std::move(*decoded));
    }
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  while (!query.empty()) {
    auto amp = query.find('&');
    auto item = query.substr(0, amp);
    if (!item.empty()) {
      auto eq = item.find('=');
      auto key = percent_decode(item.substr(0, eq), true);
      auto val
          = percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                        : item.substr(eq + 1),
                           true);
      if (!key || !val)
        return std::nullopt;
      out.query.emplace_back(std::move(*key), std::move(*val));
    }
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

const std::string* query_value(const parsed_target& t, std::string_view key) {
  for (const auto& [k, v] : t.query) // a handful of parameters at most
    if (k == key)
      return &v;
  return nullptr;
}

std::vector<std::string> split_skill_list(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    auto comma = s.find(',');
    auto item = trim(s.substr(0, comma));
    if (!item.empty())
      out.emplace_back(item);
    if (comma == std::string_view::npos)
      break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<double> parse_python_float(std::string_view s) {
  s = trim(s);
  std::string cleaned;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      // Python allows single underscores between digits only.
      if (i == 0 || i + 1 == s.size() || !std::isdigit((unsigned char)s[i - 1])
          || !std::isdigit((unsigned char)s[i + 1]))
        return std::nullopt;
      continue;
    }
    cleaned.push_back(s[i]);
  }
  if (cleaned.empty() || cleaned.find_first_of("xXpP") != std::string::npos)
    return std::nullopt; // strtod would accept hex floats; Python does not
  char* end = nullptr;
  double d = std::strtod(cleaned.c_str(), &end);
  if (end != cleaned.c_str() + cleaned.size())
    return std::nullopt;
  return d;
}

} // namespace rxon::runtime
