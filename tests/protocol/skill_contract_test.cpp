#include "protocol/skill_contract.hpp"
#include "tests/support/conformance.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace rxon;

namespace {

json::value parse(std::string_view text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  return *v;
}

// Compiles `schema` (which must be usable) and validates `data`.
status check(std::string_view schema, std::string_view data) {
  auto compiled = compile_schema(parse(schema));
  REQUIRE_MESSAGE(compiled.has_value(),
                  (compiled ? "" : compiled.error().message));
  return validate(**compiled, parse(data));
}

bool valid(std::string_view schema, std::string_view data) {
  return check(schema, data).has_value();
}

std::string compile_error(std::string_view schema) {
  auto compiled = compile_schema(parse(schema));
  if (compiled)
    return {};
  CHECK(compiled.error().code == errc::invalid_value);
  return compiled.error().message;
}

} // namespace

TEST_CASE("conformance: schema.json validates as expected") {
  const std::string file = "schema.json";
  auto vectors = test::load_vectors(file);
  REQUIRE(!vectors.empty());
  schema_cache cache;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    INFO(test::where(file, i));
    INFO(json::to_string(vectors[i]));
    auto compiled = cache.compile(*vectors[i].find("schema"));
    REQUIRE_MESSAGE(compiled.has_value(),
                    (compiled ? "" : compiled.error().message));
    auto ok = validate(**compiled, *vectors[i].find("data"));
    CHECK(ok.has_value() == vectors[i].find("expected")->as_bool());
    if (!ok)
      CHECK(ok.error().code == errc::invalid_value);
  }
}

TEST_CASE("a null or empty schema accepts everything") {
  schema_cache cache;
  for (const auto* schema : {"null", "{}"}) {
    auto compiled = cache.compile(parse(schema));
    REQUIRE(compiled.has_value());
    for (const auto* data : {"null", "1", "\"x\"", "[1,{}]", "{\"a\":null}"})
      CHECK(validate(**compiled, parse(data)).has_value());
  }
  CHECK(cache.compilations() == 0);
}

TEST_CASE("errors name the keyword and the data and schema pointers") {
  auto ok = check(R"({"type":"object","properties":{"n":{"type":"integer"}}})",
                  R"({"n":3.5})");
  REQUIRE_FALSE(ok.has_value());
  CHECK(ok.error().code == errc::invalid_value);
  CHECK(ok.error().message == "#/n: fails 'type' (schema #/properties/n)");
  auto req = check(R"({"required":["path"]})", R"({"n":1})");
  REQUIRE_FALSE(req.has_value());
  CHECK(req.error().message == "#: fails 'required' (schema #)");
  auto item = check(R"({"items":{"items":{"type":"string"}}})", R"([["a",1]])");
  REQUIRE_FALSE(item.has_value());
  CHECK(item.error().message == "#/0/1: fails 'type' (schema #/items/items)");
}

TEST_CASE("standard JSON Schema replaces the reference's quirks") {
  // The reference accepts anything under {"type":"null"} and rejects null
  // under schemas without a type; standard JSON Schema does neither.
  CHECK_FALSE(valid(R"({"type":"null"})", "1"));
  CHECK(valid(R"({"description":"x"})", "null"));
  CHECK(valid(R"({"enum":[null]})", "null"));
  CHECK(valid(R"({"type":["string","null"]})", "null"));
  // anyOf no longer hides sibling keywords.
  CHECK_FALSE(valid(R"({"anyOf":[{"type":"string"}],"enum":["a"]})", "\"b\""));
  // Keywords the reference ignored are enforced.
  CHECK_FALSE(valid(R"({"minimum":2})", "1"));
  CHECK_FALSE(valid(R"({"maxLength":2})", "\"abc\""));
  CHECK(valid(R"({"maxLength":2})", "\"\u00e9\u20ac\""));
  CHECK_FALSE(valid(R"({"pattern":"^a+$"})", "\"aab\""));
  CHECK_FALSE(valid(R"({"oneOf":[{"type":"integer"},{"minimum":2}]})", "3"));
  CHECK_FALSE(valid(R"({"not":{"type":"null"}})", "null"));
  CHECK_FALSE(valid(R"({"uniqueItems":true})", "[1,2,1]"));
  CHECK_FALSE(valid(R"({"items":[{"type":"integer"}],"additionalItems":false})",
                    "[1,2]"));
  CHECK_FALSE(valid(R"({"dependencies":{"a":["b"]}})", R"({"a":1})"));
  CHECK(valid(R"({"enum":[{"a":1,"b":[1,2]}]})", R"({"b":[1,2],"a":1})"));
  CHECK(valid(R"({"type":"object","required":["a"]})", R"({"a":null})"));
}

TEST_CASE("integers, floats and big numbers keep their JSON types") {
  CHECK_FALSE(valid(R"({"type":"integer"})", "1.5"));
  CHECK_FALSE(valid(R"({"type":"integer"})", "1.0")); // draft-04: a float
  CHECK_FALSE(valid(R"({"type":"integer"})", "true"));
  CHECK(valid(R"({"type":"integer"})", "-9223372036854775808"));
  CHECK(valid(R"({"type":"integer"})", "18446744073709551615"));
  CHECK(valid(R"({"type":"number"})", "1"));
  CHECK_FALSE(valid(R"({"type":"boolean"})", "1"));
  CHECK_FALSE(valid(R"({"maximum":10})", "18446744073709551615"));
  CHECK(valid(R"({"minimum":-1})", "4294967296"));
  CHECK_FALSE(valid(R"({"maximum":3,"exclusiveMaximum":true})", "3.0"));
  CHECK(valid(R"({"multipleOf":0.5})", "4.5"));
}

TEST_CASE("local references, including recursive ones, are followed") {
  CHECK_FALSE(valid(R"({"definitions":{"p":{"type":"integer"}},)"
                    R"("properties":{"a":{"$ref":"#/definitions/p"}}})",
                    R"({"a":"x"})"));
  const auto* tree = R"({"type":"object","properties":{"c":{"$ref":"#"}}})";
  CHECK(valid(tree, R"({"c":{"c":{}}})"));
  CHECK_FALSE(valid(tree, R"({"c":{"c":1}})"));
}

TEST_CASE("patternProperties follow the standard next to other keywords") {
  // RapidJSON 1.1.0 crashes on the first, and ORs the schemas in the rest.
  const auto* closed = R"({"patternProperties":{"^x":{"type":"integer"}},)"
                       R"("additionalProperties":false})";
  CHECK(valid(closed, R"({"xa":1})"));
  CHECK_FALSE(valid(closed, R"({"xa":"s"})"));
  CHECK_FALSE(valid(closed, R"({"y":1})"));
  CHECK(valid(closed, R"({})"));
  const auto* typed_rest = R"({"patternProperties":{"^x":{"type":"integer"}},)"
                           R"("additionalProperties":{"type":"string"}})";
  CHECK(valid(typed_rest, R"({"xa":1,"y":"s"})"));
  CHECK_FALSE(valid(typed_rest, R"({"xa":"s"})"));
  CHECK_FALSE(valid(typed_rest, R"({"y":1})"));
  const auto* mixed = R"({"properties":{"xa":{"type":"integer"}},)"
                      R"("patternProperties":{"^x":{"minimum":5}},)"
                      R"("additionalProperties":false})";
  CHECK(valid(mixed, R"({"xa":7,"xb":9})"));
  CHECK_FALSE(valid(mixed, R"({"xa":3})"));
  CHECK_FALSE(valid(mixed, R"({"xa":"s"})"));
  CHECK_FALSE(valid(mixed, R"({"xa":7,"xb":1})"));
  CHECK_FALSE(valid(mixed, R"({"xa":7,"y":1})"));
  // A property key followed by a pattern-only key: no state leaks across.
  CHECK_FALSE(valid(mixed, R"({"xa":7,"xz":2})"));
  CHECK(valid(mixed, R"({"xa":7,"xz":"s"})")); // minimum: numbers only
}

TEST_CASE("hostile schemas give errors, not crashes") {
  CHECK(compile_error("[1]").find("must be a JSON object")
        != std::string::npos);
  CHECK(!compile_error("5").empty());
  CHECK(!compile_error("true").empty());
  CHECK(compile_error(R"({"type":5})").find("draft-04") != std::string::npos);
  CHECK(!compile_error(R"({"type":"any"})").empty());
  CHECK(!compile_error(R"({"properties":[]})").empty());
  CHECK(!compile_error(R"({"properties":{"a":5}})").empty());
  CHECK(!compile_error(R"({"required":"a"})").empty());
  CHECK(!compile_error(R"({"minLength":-1})").empty());
  CHECK(!compile_error(R"({"multipleOf":0})").empty());
  CHECK(!compile_error(R"({"enum":[]})").empty());
  CHECK(!compile_error(R"({"items":[5]})").empty());
  CHECK(compile_error(R"({"$ref":"#"})").find("loop") != std::string::npos);
  CHECK(compile_error(R"({"definitions":{"a":{"$ref":"#/definitions/b"},)"
                      R"("b":{"$ref":"#/definitions/a"}},)"
                      R"("properties":{"x":{"$ref":"#/definitions/a"}}})")
            .find("loop")
        != std::string::npos);
  CHECK(compile_error(R"({"properties":{"x":{"$ref":"#/nope"}}})")
            .find("does not resolve")
        != std::string::npos);
  CHECK(
      compile_error(R"({"$ref":"http://example.com/s.json"})").find("not local")
      != std::string::npos);
  CHECK(!compile_error(R"({"properties":{"x":{"$ref":"#/properties"}},)"
                       R"("definitions":{"n":5},)"
                       R"("not":{"$ref":"#/definitions/n"}})")
             .empty());
  // Patterns RapidJSON 1.1.0's regex engine would loop on, crash on or
  // silently misread.
  for (const char* p : {"(a", "((a)", "a)", "(a*)*", "a**", "x?+", "a*+",
                        "(a?){2,}", "(a|b*)+", "{1}", "*a", "a{2", R"(\\d+)"})
    CHECK_MESSAGE(compile_error(std::string(R"({"pattern":")") + p + "\"}")
                          .find("not supported")
                      != std::string::npos,
                  p);
  CHECK(!compile_error(R"({"patternProperties":{"[":{}}})").empty());
  json::value deep = json::object{};
  for (int i = 0; i < 200; ++i)
    deep = json::object{{"not", std::move(deep)}};
  CHECK(!compile_schema(deep).has_value());
}

TEST_CASE("supported patterns compile and match as searches") {
  const auto* slug = R"({"pattern":"^[a-z]+(-[a-z0-9]+)*$"})";
  CHECK(valid(slug, R"("gpu-01-x")"));
  CHECK_FALSE(valid(slug, R"("gpu--01")"));
  CHECK(valid(R"({"pattern":"b"})", R"("abc")"));
  CHECK(valid(R"({"pattern":"a+?b{1,2}"})", R"("aab")"));
  // Patterns that can match empty match every string, as in ECMAScript.
  CHECK(valid(R"({"pattern":"(a*){2}"})", R"("x")"));
  CHECK(valid(R"({"pattern":"^a*"})", R"("x")"));
  CHECK(valid(R"({"pattern":"b?$"})", R"("x")"));
  CHECK_FALSE(valid(R"({"pattern":"^a*$"})", R"("x")"));
  CHECK(valid(R"({"pattern":"^a*$"})", R"("")"));
}

TEST_CASE("the reference's extracted schemas with empty required compile") {
  CHECK(valid(R"({"type":"object","properties":{"a":{"type":"integer"}},)"
              R"("required":[],"additionalProperties":false})",
              R"({"a":1})"));
}

TEST_CASE("the cache compiles each schema once and stays bounded") {
  schema_cache cache{2};
  auto a = parse(R"({"type":"string","maxLength":3})");
  // Same canonical text: member order and integral floats do not matter.
  auto a2 = parse(R"({"maxLength":3.0,"type":"string"})");
  auto first = cache.compile(a);
  auto second = cache.compile(a2);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(first->get() == second->get());
  CHECK(cache.compilations() == 1);
  CHECK(cache.compile(parse(R"({"type":"integer"})")).has_value());
  CHECK(cache.compile(parse(R"({"type":"boolean"})")).has_value());
  CHECK(cache.size() == 2);
  CHECK(cache.compilations() == 3);
  CHECK(cache.compile(a).has_value()); // evicted: compiled again
  CHECK(cache.compilations() == 4);
  CHECK_FALSE(cache.compile(parse(R"({"type":5})")).has_value());
  CHECK(cache.size() == 2);
}

TEST_CASE("schemas are shared and validated from several threads") {
  schema_cache cache;
  const auto schema = parse(R"({"type":"object","properties":{)"
                            R"("id":{"type":"string","pattern":"^w-[0-9]+$"},)"
                            R"("n":{"type":"integer","minimum":0}},)"
                            R"("patternProperties":{"^x":{"type":"string"}},)"
                            R"("required":["id"]})");
  const auto good = parse(R"({"id":"w-12","n":3,"xa":"s"})");
  const auto bad = parse(R"({"id":"w-x","n":3})");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto compiled = cache.compile(schema);
        if (!compiled || !validate(**compiled, good)
            || validate(**compiled, bad))
          ++wrong;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(wrong.load() == 0);
  CHECK(cache.size() == 1);
  CHECK(cache.compilations() <= 4);
}
