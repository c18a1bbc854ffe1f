#include "actors/holon_profile.hpp"

#include "protocol/codec.hpp"
#include "protocol/matching.hpp"

#include <algorithm>
#include <limits>

namespace rxon::actors {

namespace {

template <class T>
void append_key(std::string& out, const std::optional<T>& x) {
  if (x)
    encode_to(*x, out, encode_options{true, {}});
  out.push_back('|');
}

} // namespace

std::string requirement::key() const {
  std::string out = type;
  out.push_back('|');
  append_key(out, resources);
  append_key(out, skill);
  if (artifacts)
    for (const auto& a : *artifacts)
      encode_to(a, out, encode_options{true, {}});
  out.push_back('|');
  if (max_cost)
    json::write_number(*max_cost, out);
  return out;
}

const skill_info* holon_profile::skill(std::string_view name) const {
  auto i = std::lower_bound(
      skills.begin(), skills.end(), name,
      [](const skill_info& s, std::string_view n) { return s.name < n; });
  return i != skills.end() && i->name == name ? &*i : nullptr;
}

namespace {

const compiled_schema*
schema_of(const std::vector<skill_info>& skills,
          const std::vector<std::shared_ptr<const compiled_schema>>& compiled,
          std::string_view name) {
  auto i = std::lower_bound(
      skills.begin(), skills.end(), name,
      [](const skill_info& s, std::string_view n) { return s.name < n; });
  if (i == skills.end() || i->name != name)
    return nullptr;
  auto k = static_cast<size_t>(i - skills.begin());
  return k < compiled.size() ? compiled[k].get() : nullptr;
}

} // namespace

const compiled_schema*
holon_profile::input_schema(std::string_view name) const {
  return schema_of(skills, input_schemas, name);
}

const compiled_schema*
holon_profile::output_schema(std::string_view name) const {
  return any_output_schema ? schema_of(skills, output_schemas, name) : nullptr;
}

double holon_profile::cost(std::string_view type) const {
  auto i = cost_per_skill.find(std::string{type});
  return i != cost_per_skill.end() ? i->second
                                   : std::numeric_limits<double>::infinity();
}

bool holon_profile::satisfies(const requirement& req) const {
  // Several skills may share a name (versions); any one that matches will do.
  auto first = std::lower_bound(
      skills.begin(), skills.end(), req.type,
      [](const skill_info& s, const std::string& n) { return s.name < n; });
  bool skill_ok = false;
  for (auto i = first; i != skills.end() && i->name == req.type; ++i) {
    if (!req.skill || matches(*i, *req.skill)) {
      skill_ok = true;
      break;
    }
  }
  if (!skill_ok)
    return false;
  if (req.max_cost && !(cost(req.type) <= *req.max_cost))
    return false;
  static const rxon::resources none;
  if (!alternatives.empty()) {
    // A subtree: one of its profiles must offer the type with the resources.
    auto fits = [&](const resource_profile& a) {
      if (!a.skills.empty()
          && !std::binary_search(a.skills.begin(), a.skills.end(), req.type))
        return false;
      return !req.resources
             || matches(a.resources ? *a.resources : none, *req.resources);
    };
    if (!std::any_of(alternatives.begin(), alternatives.end(), fits))
      return false;
  } else if (req.resources) {
    if (!matches(resources ? *resources : none, *req.resources))
      return false;
  }
  if (req.artifacts) {
    for (const auto& wanted : *req.artifacts) {
      auto ok = std::any_of(artifacts.begin(), artifacts.end(),
                            [&](const auto& a) { return matches(a, wanted); });
      if (!ok)
        return false;
    }
  }
  return true;
}

holon_profile holon_profile::from(const worker_registration& reg) {
  holon_profile p;
  if (reg.supported_skills)
    p.skills = *reg.supported_skills;
  std::stable_sort(
      p.skills.begin(), p.skills.end(),
      [](const auto& x, const auto& y) { return x.name < y.name; });
  p.resources = reg.resources;
  if (reg.installed_artifacts)
    p.artifacts = *reg.installed_artifacts;
  if (reg.capabilities && reg.capabilities->cost_per_skill)
    p.cost_per_skill = *reg.capabilities->cost_per_skill;
  // Registrations are checked before they get here; a malformed list
  // would only mean "no alternatives".
  if (auto alts = resource_profiles_of(reg))
    p.alternatives = std::move(*alts);
  return p;
}

std::string holon_profile::key() const {
  std::string out;
  for (const auto& s : skills)
    encode_to(s, out, encode_options{true, {}});
  out.push_back('|');
  if (resources)
    encode_to(*resources, out, encode_options{true, {}});
  out.push_back('|');
  for (const auto& a : artifacts)
    encode_to(a, out, encode_options{true, {}});
  out.push_back('|');
  for (const auto& [k, v] : cost_per_skill) {
    json::write_string(k, out);
    json::write_number(v, out);
  }
  if (!alternatives.empty()) {
    out.push_back('|');
    json::write(profiles_json(alternatives), out);
  }
  return out;
}

profile_id profile_registry::intern(holon_profile p) {
  auto k = p.key();
  if (auto i = profile_ids_.find(k); i != profile_ids_.end())
    return i->second;
  auto id = static_cast<profile_id>(profiles_.size());
  // Compile each skill's contract once per profile; a schema that does not
  // compile is treated as absent here and reported when a result arrives.
  auto compile = [&](const json::value& schema) {
    std::shared_ptr<const compiled_schema> out;
    if (schema.is_object() && !schema.as_object().empty())
      if (auto c = schemas_.compile(schema))
        out = std::move(*c);
    return out;
  };
  for (const auto& s : p.skills) {
    p.input_schemas.push_back(compile(s.input_schema));
    p.output_schemas.push_back(compile(s.output_schema));
    p.any_output_schema = p.any_output_schema || p.output_schemas.back();
  }
  profiles_.push_back(std::make_unique<holon_profile>(std::move(p)));
  compat_.emplace_back();
  profile_ids_.emplace(std::move(k), id);
  auto& prof = *profiles_.back();
  for (const auto& s : prof.skills) {
    if (!prof.slots.empty() && prof.slots.back().name == s.name)
      continue; // versions of one skill share a slot
    skill_slot slot;
    slot.name = s.name;
    slot.cost = prof.cost(s.name);
    slot.input = prof.input_schema(s.name);
    auto k_slot = static_cast<uint32_t>(prof.slots.size());
    if (auto c = classes_by_type_.find(s.name); c != classes_by_type_.end())
      for (auto cls : c->second)
        if (compatible(id, cls))
          slot.classes.push_back(cls);
    prof.slots.push_back(std::move(slot));
    slots_by_type_[s.name].emplace_back(id, k_slot);
  }
  return id;
}

class_id profile_registry::intern(requirement r, requirement_sources src) {
  auto k = r.key();
  if (auto i = class_ids_.find(k); i != class_ids_.end()) {
    auto& known = class_sources_[i->second]; // fills gaps, never replaces
    if (!known.resources)
      known.resources = std::move(src.resources);
    if (!known.skill)
      known.skill = std::move(src.skill);
    return i->second;
  }
  auto id = static_cast<class_id>(classes_.size());
  classes_.push_back(std::make_unique<requirement>(std::move(r)));
  class_sources_.push_back(std::move(src));
  class_ids_.emplace(std::move(k), id);
  const auto& type = classes_.back()->type;
  classes_by_type_[type].push_back(id);
  if (auto s = slots_by_type_.find(type); s != slots_by_type_.end())
    for (auto [p, k_slot] : s->second)
      if (compatible(p, id))
        profiles_[p]->slots[k_slot].classes.push_back(id);
  return id;
}

std::optional<class_id> profile_registry::find(const requirement_ref& r) const {
  auto i = classes_by_type_.find(r.type);
  if (i == classes_by_type_.end() || i->second.size() > 16)
    return std::nullopt; // many variants: the keyed lookup is cheaper
  // A part given by pointer (null: absent) against the class's copy: the
  // very object the class was copied from, or an equal one.
  auto same = [](const auto& have, const auto* want, const auto& source) {
    if (!have)
      return want == nullptr;
    return want && (want == source.get() || *have == *want);
  };
  for (auto c : i->second) {
    const auto& k = *classes_[c];
    const auto& src = class_sources_[c];
    if (same(k.resources, r.resources, src.resources)
        && same(k.skill, r.skill, src.skill) && k.artifacts == r.artifacts
        && k.max_cost == r.max_cost)
      return c;
  }
  return std::nullopt;
}

bool profile_registry::compute(profile_id p, class_id c) {
  auto& row = compat_[p];
  if (row.size() <= c)
    row.resize(classes_.size(), 0);
  row[c] = profiles_[p]->satisfies(*classes_[c]) ? 2 : 1;
  return row[c] == 2;
}

} // namespace rxon::actors
