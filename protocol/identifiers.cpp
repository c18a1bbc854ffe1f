#include "protocol/identifiers.hpp"

#include <string>

namespace rxon {

namespace {

constexpr bool identifier_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

} // namespace

bool is_valid_identifier(std::string_view v) noexcept {
  if (v.empty())
    return false;
  for (char c : v)
    if (!identifier_char(c))
      return false;
  return true;
}

status validate_identifier(std::string_view v, std::string_view name) {
  if (is_valid_identifier(v))
    return {};
  std::string msg;
  msg.reserve(v.size() + name.size() + 72);
  msg.append("Invalid ")
      .append(name)
      .append(": '")
      .append(v)
      .append("'. Must be alphanumeric, underscores, or hyphens only.");
  return error{errc::invalid_value, std::move(msg)};
}

} // namespace rxon
