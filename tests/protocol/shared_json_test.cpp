#include "protocol/shared_json.hpp"

#include <doctest/doctest.h>

using namespace rxon;

TEST_CASE("a shared JSON value keeps its compact text, encoded once") {
  json::value v = json::object{
      {"devices",
       json::array{json::object{
           {"type", "gpu"}, {"properties", json::object{{"vram_gb", 16}}}}}},
      {"cpu_cores", 4.0},
      {"note", nullptr}};
  json::shared_value s = v;
  CHECK_FALSE(s.is_null());
  CHECK(s.get() == v);
  // The text is json::write's: sorted keys, integral float as an integer,
  // null member dropped.
  CHECK(s.text() == json::to_string(v));
  CHECK(
      s.text()
      == R"({"cpu_cores":4,"devices":[{"properties":{"vram_gb":16},"type":"gpu"}]})");
  // Copies share the tree and the text instead of copying them.
  json::shared_value copy = s;
  CHECK(&copy.get() == &s.get());
  CHECK(&copy.text() == &s.text());
  CHECK(copy == s);
}

TEST_CASE("a shared JSON value compares by value and is null when empty") {
  json::shared_value none;
  CHECK(none.is_null());
  CHECK(none.get().is_null());
  CHECK(none.text().empty());
  // A null value makes no body: stored as SQL NULL, not "null".
  json::shared_value from_null = json::value{};
  CHECK(from_null.is_null());
  CHECK(from_null == none);
  json::shared_value a = json::object{{"x", 1}};
  json::shared_value b = json::object{{"x", 1.0}}; // another body, same value
  CHECK(&a.get() != &b.get());
  CHECK(a == b);
  CHECK_FALSE(a == json::shared_value{json::object{{"x", 2}}});
  CHECK_FALSE(a == none);
}
