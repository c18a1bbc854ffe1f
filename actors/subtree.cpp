#include "actors/subtree.hpp"

#include "protocol/codec.hpp"

#include <algorithm>

namespace rxon::actors {

json::value profiles_json(const std::vector<resource_profile>& profiles) {
  json::array out;
  for (const auto& p : profiles) {
    json::array skills;
    for (const auto& s : p.skills)
      skills.emplace_back(s);
    json::object o{{"skills", std::move(skills)}};
    if (p.resources)
      o.set("resources", rxon::to_json(*p.resources));
    out.push_back(std::move(o));
  }
  return out;
}

result<std::vector<resource_profile>>
resource_profiles_of(const worker_registration& reg) {
  std::vector<resource_profile> out;
  if (!reg.capabilities || !reg.capabilities->extra.is_object())
    return out;
  const auto* list = reg.capabilities->extra.find(extra_resource_profiles);
  if (!list || list->is_null())
    return out;
  const std::string where
      = std::string{"capabilities.extra."} + extra_resource_profiles;
  if (!list->is_array())
    return error{errc::wrong_type, where + ": expected an array"};
  const auto& items = list->as_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto at = where + "[" + std::to_string(i) + "]";
    if (!items[i].is_object())
      return error{errc::wrong_type, at + ": expected an object"};
    resource_profile p;
    if (const auto* s = items[i].find("skills"); s && !s->is_null()) {
      if (!s->is_array())
        return error{errc::wrong_type, at + ".skills: expected an array"};
      for (const auto& name : s->as_array()) {
        if (!name.is_string())
          return error{errc::wrong_type, at + ".skills: expected strings"};
        p.skills.push_back(name.as_string());
      }
      std::sort(p.skills.begin(), p.skills.end());
    }
    if (const auto* r = items[i].find("resources"); r && !r->is_null()) {
      auto res = from_json<rxon::resources>(*r);
      if (!res)
        return error{res.error().code,
                     at + ".resources: " + res.error().message};
      p.resources = std::move(*res);
    }
    out.push_back(std::move(p));
  }
  return out;
}

int64_t capacity_of(const worker_registration& reg) {
  auto positive = [](const json::value* v) -> std::optional<int64_t> {
    if (v && v->is_integral() && v->as_double() >= 1)
      return static_cast<int64_t>(v->as_double());
    return std::nullopt;
  };
  if (reg.capabilities && reg.capabilities->extra.is_object())
    if (auto c = positive(reg.capabilities->extra.find(extra_capacity)))
      return *c;
  if (reg.metadata.is_object())
    if (auto c = positive(reg.metadata.find("concurrency")))
      return *c;
  return 1;
}

} // namespace rxon::actors
