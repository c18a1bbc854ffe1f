#include "protocol/matching.hpp"
#include "tests/support/conformance.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

using namespace rxon;

namespace {

// A private decoder for the four matching models. TODO(lead): switch to
// from_json<T> (protocol/codec.hpp) once codec.cpp is in this tree.
struct decoder {
  std::string problem;

  std::string str(const json::value& v, const char* key, const char* dflt) {
    const auto* x = v.find(key);
    if (!x || x->is_null()) {
      if (!dflt)
        problem = std::string(key) + ": missing";
      return dflt ? dflt : "";
    }
    if (!x->is_string()) {
      problem = std::string(key) + ": not a string";
      return {};
    }
    return x->as_string();
  }

  std::optional<std::string> opt_str(const json::value& v, const char* key) {
    const auto* x = v.find(key);
    if (!x || x->is_null())
      return std::nullopt;
    if (!x->is_string()) {
      problem = std::string(key) + ": not a string";
      return std::nullopt;
    }
    return x->as_string();
  }

  json::value obj(const json::value& v, const char* key) {
    const auto* x = v.find(key);
    if (!x || x->is_null())
      return {};
    if (!x->is_object())
      problem = std::string(key) + ": not an object";
    return *x;
  }

  hardware_device device(const json::value& v) {
    if (!v.is_object()) {
      problem = "device: not an object";
      return {};
    }
    return {str(v, "type", nullptr), opt_str(v, "model"), opt_str(v, "id"),
            obj(v, "properties"), obj(v, "metrics")};
  }

  resources res(const json::value& v) {
    resources r;
    if (const auto* ds = v.find("devices"); ds && !ds->is_null()) {
      if (!ds->is_array()) {
        problem = "devices: not an array";
        return r;
      }
      r.devices.emplace();
      for (const auto& d : ds->as_array())
        r.devices->push_back(device(d));
    }
    r.properties = obj(v, "properties");
    return r;
  }

  installed_artifact artifact(const json::value& v) {
    return {str(v, "name", nullptr), str(v, "version", "unknown"),
            opt_str(v, "type"), obj(v, "properties")};
  }

  skill_info skill(const json::value& v) {
    skill_info s;
    s.name = str(v, "name", nullptr);
    s.type = opt_str(v, "type");
    s.description = opt_str(v, "description");
    s.version = opt_str(v, "version");
    s.input_schema = obj(v, "input_schema");
    s.output_schema = obj(v, "output_schema");
    s.schema_dialect = str(v, "schema_dialect", "json-schema");
    s.properties = obj(v, "properties");
    return s;
  }
};

// The reference's greedy first-fit (spec §4.3), to check that our answers
// differ from `rxon` only where greedy assignment is the cause.
bool greedy_matches(const resources& w, const resources& r) {
  if (r.devices && !r.devices->empty()) {
    std::vector<hardware_device> left
        = w.devices ? *w.devices : std::vector<hardware_device>{};
    for (const auto& want : *r.devices) {
      auto it = left.begin();
      while (it != left.end() && !matches(*it, want))
        ++it;
      if (it == left.end())
        return false;
      left.erase(it);
    }
  }
  return properties_match(w.properties, r.properties);
}

struct outcome {
  bool ours = false;
  bool greedy = false;
};

outcome evaluate(const json::value& e, std::string& problem) {
  decoder d;
  const auto& kind = e.find("kind")->as_string();
  const auto& w = *e.find("worker");
  const auto& r = *e.find("requirement");
  outcome o;
  if (kind == "device") {
    o.ours = o.greedy = matches(d.device(w), d.device(r));
  } else if (kind == "resources") {
    auto wr = d.res(w);
    auto rr = d.res(r);
    o.ours = matches(wr, rr);
    o.greedy = greedy_matches(wr, rr);
  } else if (kind == "artifact") {
    o.ours = o.greedy = matches(d.artifact(w), d.artifact(r));
  } else if (kind == "skill") {
    o.ours = o.greedy = matches(d.skill(w), d.skill(r));
  } else {
    d.problem = "unknown kind " + kind;
  }
  problem = d.problem;
  return o;
}

} // namespace

TEST_CASE("conformance: matching.json gives the expected answer") {
  const std::string file = "matching.json";
  auto vectors = test::load_vectors(file);
  REQUIRE(!vectors.empty());
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    INFO(test::where(file, i));
    INFO(json::to_string(vectors[i]));
    std::string problem;
    auto o = evaluate(vectors[i], problem);
    REQUIRE_MESSAGE(problem.empty(), problem);
    CHECK(o.ours == vectors[i].find("expected")->as_bool());
  }
}

TEST_CASE("conformance: greedy first-fit reproduces the reference answers") {
  const std::string file = "matching.json";
  auto vectors = test::load_vectors(file);
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    INFO(test::where(file, i));
    INFO(json::to_string(vectors[i]));
    std::string problem;
    auto o = evaluate(vectors[i], problem);
    REQUIRE_MESSAGE(problem.empty(), problem);
    CHECK(o.greedy == vectors[i].find("rxon")->as_bool());
  }
}
