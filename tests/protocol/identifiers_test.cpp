#include "protocol/identifiers.hpp"
#include "tests/support/conformance.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rxon;

TEST_CASE("conformance: identifiers.json validates as expected") {
  const std::string file = "identifiers.json";
  auto vectors = test::load_vectors(file);
  REQUIRE(!vectors.empty());
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    INFO(test::where(file, i));
    INFO(json::to_string(vectors[i]));
    const auto* v = vectors[i].find("value");
    bool expected = vectors[i].find("expected")->as_bool();
    // Non-strings (null, numbers) are never identifiers.
    bool ours = v->is_string() && is_valid_identifier(v->as_string());
    CHECK(ours == expected);
    if (v->is_string())
      CHECK(validate_identifier(v->as_string()).has_value() == expected);
  }
}

TEST_CASE("identifiers take ASCII letters, digits, underscores and hyphens") {
  CHECK(is_valid_identifier("worker-01"));
  CHECK(is_valid_identifier("A-Z_09"));
  CHECK(is_valid_identifier("-"));
  CHECK_FALSE(is_valid_identifier(""));
  CHECK_FALSE(is_valid_identifier("a b"));
  CHECK_FALSE(is_valid_identifier("w.1"));
  CHECK_FALSE(is_valid_identifier("\xce\xa9"));
  CHECK_FALSE(is_valid_identifier(std::string_view{"a\0b", 3}));
}

TEST_CASE("a trailing newline is rejected, unlike the reference") {
  CHECK_FALSE(is_valid_identifier("worker-1\n"));
  CHECK_FALSE(is_valid_identifier("worker-1\n\n"));
  CHECK_FALSE(is_valid_identifier("\n"));
}

TEST_CASE("identifier errors use the reference's message") {
  auto ok = validate_identifier("w;rm", "worker_id");
  REQUIRE_FALSE(ok.has_value());
  CHECK(ok.error().code == errc::invalid_value);
  CHECK(ok.error().message
        == "Invalid worker_id: 'w;rm'. Must be alphanumeric, underscores, or "
           "hyphens only.");
  auto dflt = validate_identifier("");
  REQUIRE_FALSE(dflt.has_value());
  CHECK(dflt.error().message
        == "Invalid identifier: ''. Must be alphanumeric, underscores, or "
           "hyphens only.");
  CHECK(validate_identifier("job-1", "job_id").has_value());
}
