#include "runtime/http/response_wire.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include <charconv>
#include <ostream>

namespace rxon::runtime {

namespace {

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

void append_header(std::string& out, std::string_view name,
                   std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

} // namespace

void write_http_response(std::string& out, const http_response& res,
                         bool keep_alive) {
  namespace http = boost::beast::http;
  auto status = static_cast<unsigned>(res.status);
  bool has_body = status != 204 && status != 304 && status >= 200;
  out.reserve(out.size() + 160 + res.body.size());
  out.append("HTTP/1.1 ");
  append_number(out, status);
  out.push_back(' ');
  out.append(http::obsolete_reason(http::int_to_status(status)));
  out.append("\r\n");
  append_header(out, "Server", "rxon");
  append_header(out, "X-RXON-Version", RXON_PROTOCOL_VERSION);
  if (has_body)
    append_header(out, "Content-Type", res.content_type);
  for (const auto& [name, value] : res.headers)
    append_header(out, name, value);
  if (has_body) {
    out.append("Content-Length: ");
    append_number(out, res.body.size());
    out.append("\r\n");
  }
  if (!keep_alive)
    append_header(out, "Connection", "close");
  out.append("\r\n");
  if (has_body)
    out.append(res.body);
}

} // namespace rxon::runtime
