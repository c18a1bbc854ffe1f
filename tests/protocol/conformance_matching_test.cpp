#include "protocol/codec.hpp"
#include "protocol/matching.hpp"
#include "tests/support/conformance.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

using namespace rxon;

namespace {

/// Decodes one side of a vector with the codec; a rejection becomes
/// `problem` (naming the side and the codec's field path).
template <class T>
std::optional<T> decode_side(const json::value& v, const char* side,
                             std::string& problem) {
  auto r = from_json<T>(v);
  if (!r) {
    if (problem.empty())
      problem = std::string{side} + ": " + r.error().message;
    return std::nullopt;
  }
  return std::move(r).value();
}

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

/// Decodes worker and requirement as `T` and applies `match`.
template <class T, class F>
bool both(const json::value& e, std::string& problem, F&& match) {
  auto w = decode_side<T>(*e.find("worker"), "worker", problem);
  auto r = decode_side<T>(*e.find("requirement"), "requirement", problem);
  return w && r && match(*w, *r);
}

outcome evaluate(const json::value& e, std::string& problem) {
  const auto& kind = e.find("kind")->as_string();
  auto plain = [](const auto& w, const auto& r) { return matches(w, r); };
  outcome o;
  if (kind == "device") {
    o.ours = o.greedy = both<hardware_device>(e, problem, plain);
  } else if (kind == "resources") {
    o.ours = both<resources>(e, problem, plain);
    o.greedy = both<resources>(e, problem, greedy_matches);
  } else if (kind == "artifact") {
    o.ours = o.greedy = both<installed_artifact>(e, problem, plain);
  } else if (kind == "skill") {
    o.ours = o.greedy = both<skill_info>(e, problem, plain);
  } else {
    problem = "unknown kind " + kind;
  }
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
