#include "protocol/error.hpp"

namespace rxon {

const char* to_string(errc code) noexcept {
  switch (code) {
  case errc::invalid_json:
    return "invalid_json";
  case errc::missing_field:
    return "missing_field";
  case errc::wrong_type:
    return "wrong_type";
  case errc::invalid_value:
    return "invalid_value";
  case errc::out_of_range:
    return "out_of_range";
  case errc::too_deep:
    return "too_deep";
  case errc::invalid_signature:
    return "invalid_signature";
  case errc::network:
    return "network";
  case errc::auth:
    return "auth";
  case errc::forbidden:
    return "forbidden";
  case errc::protocol:
    return "protocol";
  case errc::rate_limit:
    return "rate_limit";
  case errc::not_found:
    return "not_found";
  case errc::conflict:
    return "conflict";
  case errc::unavailable:
    return "unavailable";
  case errc::timeout:
    return "timeout";
  case errc::internal:
    return "internal";
  }
  return "unknown";
}

} // namespace rxon
