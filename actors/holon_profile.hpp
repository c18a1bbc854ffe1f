#pragma once

// What a holon offers, reduced to what dispatch needs, and interned: holons
// with identical skills, resources, artifacts and costs share one profile,
// so a compatibility check is computed once per (profile, requirement class)
// instead of once per holon. This is what keeps a dispatch from growing
// with the number of holons.

#include "protocol/messages.hpp"
#include "protocol/skill_contract.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace rxon::actors {

using profile_id = uint32_t;
using class_id = uint32_t;

/// The requirements a task carries; tasks with equal requirements share a
/// requirement class (and a pending queue).
struct requirement {
  std::string type;
  std::optional<rxon::resources> resources;
  std::optional<skill_info> skill;
  std::optional<std::vector<installed_artifact>> artifacts;
  /// Holons whose cost_per_skill[type] exceeds this cannot take the task.
  std::optional<double> max_cost;

  /// Canonical text; equal requirements have equal keys.
  std::string key() const;
};

struct holon_profile {
  std::vector<skill_info> skills; ///< sorted by name
  std::optional<rxon::resources> resources;
  std::vector<installed_artifact> artifacts;
  std::map<std::string, double> cost_per_skill;
  /// Compiled input/output schemas, parallel to `skills` (null: none).
  std::vector<std::shared_ptr<const compiled_schema>> input_schemas;
  std::vector<std::shared_ptr<const compiled_schema>> output_schemas;

  /// The compiled input (or output) schema of skill `name`, or nullptr.
  const compiled_schema* input_schema(std::string_view name) const;
  const compiled_schema* output_schema(std::string_view name) const;

  /// The skill named `name`, or nullptr.
  const skill_info* skill(std::string_view name) const;
  /// Cost of running `type`; +inf when the holon declares none.
  double cost(std::string_view type) const;
  /// Whether this profile can run tasks of `req` (skill name/version/type,
  /// resources with complete device assignment, artifacts, max_cost).
  bool satisfies(const requirement& req) const;

  /// Builds the profile of a registration.
  static holon_profile from(const worker_registration& reg);
  /// Canonical text; equal profiles have equal keys.
  std::string key() const;
};

/// Interns profiles and requirement classes and caches their compatibility.
class profile_registry {
public:
  profile_id intern(holon_profile p);
  class_id intern(requirement r);

  const holon_profile& profile(profile_id id) const { return *profiles_[id]; }
  const requirement& req(class_id id) const { return *classes_[id]; }
  std::size_t profile_count() const noexcept { return profiles_.size(); }
  std::size_t class_count() const noexcept { return classes_.size(); }

  /// Cached `profile(p).satisfies(req(c))`.
  bool compatible(profile_id p, class_id c);

private:
  std::vector<std::unique_ptr<holon_profile>> profiles_;
  std::unordered_map<std::string, profile_id> profile_ids_;
  std::vector<std::unique_ptr<requirement>> classes_;
  std::unordered_map<std::string, class_id> class_ids_;
  // (profile << 32 | class) -> 0 unknown, 1 no, 2 yes
  std::unordered_map<uint64_t, uint8_t> compat_;
  schema_cache schemas_{1024};
};

} // namespace rxon::actors
