#pragma once

// What a holon offers, reduced to what dispatch needs, and interned: holons
// with identical skills, resources, artifacts and costs share one profile,
// so a compatibility check is computed once per (profile, requirement class)
// instead of once per holon. This is what keeps a dispatch from growing
// with the number of holons.

#include "actors/subtree.hpp"
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
  friend bool operator==(const requirement&, const requirement&) = default;
};

/// A requirement's parts where they already are (a task spec), so that
/// looking its class up copies nothing.
struct requirement_ref {
  const std::string& type;
  const rxon::resources* resources; ///< null: none
  const skill_info* skill;          ///< null: none
  const std::optional<std::vector<installed_artifact>>& artifacts;
  const std::optional<double>& max_cost;
};

/// One skill name of a profile with what dispatch needs of it, cached at
/// intern time so a poll does no string lookups: its cost, its compiled
/// input schema and the requirement classes of that type it can serve.
struct skill_slot {
  std::string_view name; ///< into holon_profile::skills (never moves)
  double cost = 0;
  const compiled_schema* input = nullptr;
  std::vector<class_id> classes; ///< compatible classes, in creation order
};

struct holon_profile {
  std::vector<skill_info> skills; ///< sorted by name
  std::optional<rxon::resources> resources;
  std::vector<installed_artifact> artifacts;
  std::map<std::string, double> cost_per_skill;
  /// An orchestrator's subtree profiles (capabilities.extra): when present,
  /// resources must be satisfied by one profile offering the task's type.
  std::vector<resource_profile> alternatives;
  /// Compiled input/output schemas, parallel to `skills` (null: none).
  std::vector<std::shared_ptr<const compiled_schema>> input_schemas;
  std::vector<std::shared_ptr<const compiled_schema>> output_schemas;
  /// Whether any skill has an output schema: most have none, and each
  /// result asks (a name search per result otherwise).
  bool any_output_schema = false;
  /// One per distinct skill name, in name order (filled by the registry).
  std::vector<skill_slot> slots;

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

/// Shared, immutable parts a requirement was copied from (a task spec's).
/// A class keeps those it was interned from: a later task naming the very
/// same objects belongs to it without a deep comparison. Kept alive by the
/// class, their addresses cannot be reused by other objects.
struct requirement_sources {
  std::shared_ptr<const rxon::resources> resources;
  std::shared_ptr<const skill_info> skill;
};

/// Interns profiles and requirement classes and caches their compatibility.
class profile_registry {
public:
  profile_id intern(holon_profile p);
  class_id intern(requirement r, requirement_sources src = {});
  /// The class equal to `r` if there is one, found by comparing the few
  /// classes of its type (no canonical key is encoded).
  std::optional<class_id> find(const requirement_ref& r) const;

  const holon_profile& profile(profile_id id) const { return *profiles_[id]; }
  const requirement& req(class_id id) const { return *classes_[id]; }
  std::size_t profile_count() const noexcept { return profiles_.size(); }
  std::size_t class_count() const noexcept { return classes_.size(); }

  /// Cached `profile(p).satisfies(req(c))`.
  bool compatible(profile_id p, class_id c) {
    auto& row = compat_[p];
    if (c < row.size() && row[c] != 0)
      return row[c] == 2;
    return compute(p, c);
  }

private:
  bool compute(profile_id p, class_id c);

  std::vector<std::unique_ptr<holon_profile>> profiles_;
  std::unordered_map<std::string, profile_id> profile_ids_;
  std::vector<std::unique_ptr<requirement>> classes_;
  std::vector<requirement_sources> class_sources_; ///< parallel to classes_
  std::unordered_map<std::string, class_id> class_ids_;
  /// Dense per profile, by class: 0 unknown, 1 no, 2 yes.
  std::vector<std::vector<uint8_t>> compat_;
  /// Type -> its classes / the (profile, slot) pairs offering it: a new
  /// class or profile is wired into the slots it concerns, nothing else.
  std::unordered_map<std::string, std::vector<class_id>> classes_by_type_;
  std::unordered_map<std::string, std::vector<std::pair<profile_id, uint32_t>>>
      slots_by_type_;
  schema_cache schemas_{1024};
};

} // namespace rxon::actors
