// `rxon serve` configuration: an option from each source, with the usual
// precedence (defaults < file < environment < flags).

#include "runtime/config.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fstream>

using rxon::runtime::load_config;
using rxon::runtime::serve_config;
using rxon::test::temp_dir;

namespace {

/// A boolean option (`--name`, `env`, file key `name`) that defaults to
/// `fallback`: each source can set the other value, the flag wins over the
/// environment, and a value that is not a boolean is an error naming it.
void check_bool_option(const std::string& name, const std::string& env,
                       bool serve_config::*field, bool fallback) {
  const bool other = !fallback;
  const std::string word = other ? "true" : "false";
  const std::string digit = other ? "1" : "0";
  auto defaults = load_config({}, {});
  REQUIRE(defaults);
  CHECK((*defaults).*field == fallback);
  auto flag = load_config({"--" + name + "=" + word}, {});
  REQUIRE(flag);
  CHECK((*flag).*field == other);
  auto from_env = load_config({}, {env + "=" + digit});
  REQUIRE(from_env);
  CHECK((*from_env).*field == other);
  auto both = load_config({"--" + name + "=" + (other ? "false" : "true")},
                          {env + "=" + digit});
  REQUIRE(both);
  CHECK((*both).*field == fallback);
  temp_dir dir;
  {
    std::ofstream f{dir.file("rxon.json")};
    f << "{\"" << name << "\": " << word << "}";
  }
  auto file = load_config({"--config", dir.file("rxon.json")}, {});
  REQUIRE(file);
  CHECK((*file).*field == other);
  auto bad = load_config({}, {env + "=maybe"});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find(name) != std::string::npos);
}

} // namespace

TEST_CASE("batch-scheduling is on by default and can be turned off from "
          "each source") {
  check_bool_option("batch-scheduling", "RXON_BATCH_SCHEDULING",
                    &serve_config::batch_scheduling, true);
  // A bare flag means true.
  auto bare = load_config({"--batch-scheduling"}, {"RXON_BATCH_SCHEDULING=0"});
  REQUIRE(bare);
  CHECK(bare->batch_scheduling);
}

TEST_CASE("huge-pages is off by default and each source can turn it on") {
  check_bool_option("huge-pages", "RXON_HUGE_PAGES", &serve_config::huge_pages,
                    false);
  auto bare = load_config({"--huge-pages"}, {});
  REQUIRE(bare);
  CHECK(bare->huge_pages);
}
