#include "runtime/transport/request_encoding.hpp"

#include <charconv>
#include <cmath>

namespace rxon::runtime {

namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
         || c == '~';
}

void append_pct(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789ABCDEF";
  out += '%';
  out += hex[c >> 4];
  out += hex[c & 15];
}

error unsupported(std::string_view url) {
  return error{errc::invalid_value,
               "Unsupported transport scheme in URL: " + std::string(url)};
}

} // namespace

result<base_url> parse_base_url(std::string_view url) {
  base_url out;
  std::string_view rest;
  if (url.starts_with("http://") || url.starts_with("ws://")) {
    rest = url.substr(url.find("://") + 3);
  } else if (url.starts_with("https://") || url.starts_with("wss://")) {
    out.tls = true;
    rest = url.substr(url.find("://") + 3);
  } else {
    return unsupported(url);
  }
  while (!rest.empty() && rest.back() == '/')
    rest.remove_suffix(1);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos)
    out.path = std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos)
    return error{errc::invalid_value,
                 "credentials in the URL are not supported: "
                     + std::string(url)};
  std::string_view port_text;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return error{errc::invalid_value,
                   "unterminated IPv6 address in URL: " + std::string(url)};
    out.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':')
        return error{errc::invalid_value, "bad URL: " + std::string(url)};
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos)
      port_text = authority.substr(colon + 1);
  }
  if (out.host.empty())
    return error{errc::invalid_value, "no host in URL: " + std::string(url)};
  out.port = out.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(),
                                   port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || p != port_text.data() + port_text.size()
        || port == 0 || port > 65535)
      return error{errc::invalid_value, "bad port in URL: " + std::string(url)};
    out.port = static_cast<uint16_t>(port);
  }
  out.text = std::string(out.tls ? "https://" : "http://") + std::string(rest);
  return out;
}

std::string encode_path_segment(std::string_view s) {
  static constexpr std::string_view sub_delims = "!$&'()*+,;=:@";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (is_unreserved(c)
        || sub_delims.find(static_cast<char>(c)) != std::string_view::npos)
      out += static_cast<char>(c);
    else
      append_pct(out, c);
  }
  return out;
}

std::string encode_query_value(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (is_unreserved(c) || c == ',')
      out += static_cast<char>(c);
    else if (c == ' ')
      out += '+';
    else
      append_pct(out, c);
  }
  return out;
}

std::string python_float_str(double d) {
  if (std::isnan(d))
    return "nan";
  if (std::isinf(d))
    return d > 0 ? "inf" : "-inf";
  // Shortest round-trip digits, then Python's layout: scientific when the
  // decimal exponent is below -4 or at least 16.
  char buf[64];
  auto [end, ec]
      = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, end);
  auto e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  std::string mant = sci.substr(0, e);
  bool neg = mant[0] == '-';
  if (neg)
    mant.erase(0, 1);
  std::string digits;
  for (char c : mant)
    if (c != '.')
      digits += c;
  std::string out;
  if (neg)
    out.push_back('-');
  if (exp < -4 || exp >= 16) {
    out.append(digits, 0, 1);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    int mag = exp < 0 ? -exp : exp;
    if (mag < 10)
      out.push_back('0');
    out.append(std::to_string(mag));
    return out;
  }
  if (exp < 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-exp - 1), '0');
    out.append(digits);
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out.append(digits);
    out.append(static_cast<size_t>(exp) + 1 - digits.size(), '0');
    out.append(".0");
  } else {
    auto point = static_cast<size_t>(exp) + 1;
    out.append(digits, 0, point);
    out.push_back('.');
    out.append(digits, point);
  }
  return out;
}

result<std::string>
poll_query(double timeout,
           const std::optional<std::vector<std::string>>& available_skills,
           const std::optional<std::vector<std::string>>& hot_skills) {
  if (!std::isfinite(timeout) || timeout < 0)
    return error{errc::invalid_value,
                 "poll timeout must be a finite number >= 0, got "
                     + python_float_str(timeout)};
  std::string q = "?timeout=" + python_float_str(timeout);
  auto add_list = [&q](const char* name,
                       const std::optional<std::vector<std::string>>& list) {
    if (!list)
      return;
    q += '&';
    q += name;
    q += '=';
    for (size_t i = 0; i < list->size(); ++i) {
      if (i > 0)
        q += ',';
      q += encode_query_value((*list)[i]);
    }
  };
  add_list("available_skills", available_skills);
  add_list("hot_skills", hot_skills);
  return q;
}

} // namespace rxon::runtime
