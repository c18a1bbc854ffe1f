#include "actors/dispatch_types.hpp"

namespace rxon::actors {

std::optional<strategy> parse_strategy(std::string_view name) {
  if (name == "default" || name == "standard")
    return strategy::standard;
  if (name == "round_robin")
    return strategy::round_robin;
  if (name == "least_loaded")
    return strategy::least_loaded;
  if (name == "cheapest")
    return strategy::cheapest;
  return std::nullopt;
}

const char* to_string(strategy s) {
  switch (s) {
  case strategy::round_robin:
    return "round_robin";
  case strategy::least_loaded:
    return "least_loaded";
  case strategy::cheapest:
    return "cheapest";
  case strategy::standard:
  default:
    return "default";
  }
}

} // namespace rxon::actors
