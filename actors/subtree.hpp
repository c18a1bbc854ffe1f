#pragma once

// What an orchestrator holon says about the subtree below it, and what a
// local orchestrator reports of its own subtree to its uplink.
//
// Wire convention (ours, compatible with the reference): an orchestrator
// registers with worker_type "orchestrator" and puts in
// `capabilities.extra`
//   "rxon.resource_profiles": [{"skills":["a",...], "resources":{...}}, ...]
//       the distinct (skills, resources) profiles of its subtree; a task
//       matches the holon when ANY one profile offers its type and
//       satisfies its resources;
//   "rxon.capacity": N   the task slots of its subtree.
// A reference orchestrator ignores `extra` and still sees a valid
// registration (the union of skills, no resources).

#include "protocol/error.hpp"
#include "protocol/messages.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rxon::actors {

inline constexpr const char* extra_resource_profiles = "rxon.resource_profiles";
inline constexpr const char* extra_capacity = "rxon.capacity";
inline constexpr const char* orchestrator_worker_type = "orchestrator";

/// One profile of a subtree: skills offered together with resources.
struct resource_profile {
  std::vector<std::string> skills; ///< sorted; empty: any skill of the holon
  std::optional<rxon::resources> resources;
  friend bool operator==(const resource_profile&, const resource_profile&)
      = default;
};

json::value profiles_json(const std::vector<resource_profile>& profiles);

/// The profiles a registration advertises in capabilities.extra; empty when
/// there are none. A malformed list is an error naming the entry.
result<std::vector<resource_profile>>
resource_profiles_of(const worker_registration& reg);

/// Task slots of a holon: extra["rxon.capacity"], else metadata
/// "concurrency" (rxon worker), else 1.
int64_t capacity_of(const worker_registration& reg);

/// A local orchestrator's subtree, as its uplink needs it.
struct subtree_view {
  /// Changes whenever a holon joins, leaves or re-registers.
  uint64_t version = 0;
  /// False when the caller already knew `version`: skills, profiles and
  /// hot are then left empty.
  bool full = false;
  std::vector<skill_info> skills; ///< one per name, sorted by name
  std::vector<resource_profile> profiles;
  std::vector<std::string> hot;
  int64_t capacity = 0; ///< sum of the holons' slots (only when full)
  int64_t busy = 0;     ///< tasks leased to holons
  /// Skill -> parked polls able to take it now (idle slots).
  std::map<std::string, int64_t> idle;
  int64_t idle_polls = 0;
};

} // namespace rxon::actors
