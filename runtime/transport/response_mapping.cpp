#include "runtime/transport/response_mapping.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>

namespace rxon::runtime {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Python float(): optional sign, digits with '_' separators, exponent,
/// inf/infinity/nan; no hex.
std::optional<double> parse_python_float(std::string_view s) {
  s = trim(s);
  if (s.empty())
    return std::nullopt;
  std::string text;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      bool ok = i > 0 && i + 1 < s.size()
                && std::isdigit(static_cast<unsigned char>(s[i - 1]))
                && std::isdigit(static_cast<unsigned char>(s[i + 1]));
      if (!ok)
        return std::nullopt;
      continue;
    }
    if (c == 'x' || c == 'X' || c == 'p' || c == 'P')
      return std::nullopt;
    text += c;
  }
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size())
    return std::nullopt;
  return d;
}

/// RFC 2822 / HTTP date with an explicit zone ("GMT", "UTC", "+0200").
std::optional<std::time_t> parse_http_date(std::string_view s) {
  std::string text(trim(s));
  std::tm tm{};
  const char* p = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!p)
    p = strptime(text.c_str(), "%d %b %Y %H:%M:%S", &tm);
  if (!p)
    return std::nullopt;
  std::string_view zone = trim(p);
  long offset = 0;
  if (zone == "GMT" || zone == "UTC" || zone == "UT" || zone == "Z") {
    offset = 0;
  } else if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    for (size_t i = 1; i < 5; ++i)
      if (!std::isdigit(static_cast<unsigned char>(zone[i])))
        return std::nullopt;
    if (zone == "-0000") // RFC 2822: no zone information = naive
      return std::nullopt;
    long hh = (zone[1] - '0') * 10 + (zone[2] - '0');
    long mm = (zone[3] - '0') * 10 + (zone[4] - '0');
    offset = (hh * 3600 + mm * 60) * (zone[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt; // naive or unknown zone
  }
  return timegm(&tm) - offset;
}

error rate_limit_error(const http_response& res,
                       std::chrono::system_clock::time_point now) {
  error err{errc::rate_limit, ""};
  err.http_status = 429;
  if (res.retry_after)
    err.retry_after = parse_retry_after(*res.retry_after, now);
  err.detail_code = "LIMIT_EXCEEDED_ERROR";
  std::optional<json::value> body;
  if (is_json_content_type(res.content_type)) {
    if (trim(res.body).empty())
      body = json::value{};
    else if (auto parsed = json::parse(res.body))
      body = std::move(*parsed);
  }
  if (!body) {
    err.message = "Rate limit exceeded (429): " + res.body;
    return err;
  }
  if (!body->is_object()) {
    err.message = res.body.empty() ? "Rate limit exceeded" : res.body;
    return err;
  }
  if (auto* code = body->find("code"); code && code->is_string())
    err.detail_code = code->as_string();
  auto* msg = body->find("error");
  err.message = msg && msg->is_string() && !msg->as_string().empty()
                    ? msg->as_string()
                    : "Rate limit exceeded";
  return err;
}

} // namespace

bool is_json_content_type(std::string_view content_type) {
  std::string media
      = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (!media.starts_with("application/"))
    return false;
  std::string_view sub = std::string_view(media).substr(12);
  return sub == "json" || (sub.size() > 5 && sub.ends_with("+json"));
}

std::optional<double>
parse_retry_after(std::string_view value,
                  std::chrono::system_clock::time_point now) {
  std::optional<double> seconds = parse_python_float(value);
  if (!seconds) {
    auto at = parse_http_date(value);
    if (!at)
      return std::nullopt;
    auto then = std::chrono::system_clock::from_time_t(*at);
    seconds = std::chrono::duration<double>(then - now).count();
  }
  if (std::isnan(*seconds) || *seconds < 0)
    return 0.0;
  return seconds;
}

result<json::value>
interpret_response(const http_response& res, std::string_view endpoint,
                   std::chrono::system_clock::time_point now) {
  if (res.status == 204)
    return json::value{};
  if (res.status == 401) {
    error err{errc::auth, "Unauthorized (401) from " + std::string(endpoint)};
    // The server's own words (e.g. which signature check failed).
    if (auto why = trim(res.body); !why.empty())
      err.message += ": " + std::string(why.substr(0, 512));
    err.http_status = 401;
    return err;
  }
  if (res.status == 429)
    return rate_limit_error(res, now);
  if (res.status >= 400) {
    error err{errc::protocol,
              "HTTP " + std::to_string(res.status) + ": " + res.body};
    err.http_status = res.status;
    return err;
  }
  if (!is_json_content_type(res.content_type)) {
    error err{errc::protocol,
              "Response is not a valid JSON: unexpected content type '"
                  + res.content_type + "'"};
    err.http_status = res.status;
    return err;
  }
  if (trim(res.body).empty())
    return json::value{};
  auto parsed = json::parse(res.body);
  if (!parsed) {
    error err = std::move(parsed).error();
    err.message = "Response from " + std::string(endpoint)
                  + " is not valid JSON: " + err.message;
    err.http_status = res.status;
    return err;
  }
  return std::move(*parsed);
}

} // namespace rxon::runtime
