// `rxon serve` configuration: an option from each source, with the usual
// precedence (defaults < file < environment < flags).

#include "runtime/config.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fstream>

using rxon::runtime::load_config;
using rxon::test::temp_dir;

TEST_CASE("batch-scheduling is on by default and can be turned off from "
          "each source") {
  auto defaults = load_config({}, {});
  REQUIRE(defaults);
  CHECK(defaults->batch_scheduling);
  auto flag = load_config({"--batch-scheduling=false"}, {});
  REQUIRE(flag);
  CHECK_FALSE(flag->batch_scheduling);
  auto env = load_config({}, {"RXON_BATCH_SCHEDULING=0"});
  REQUIRE(env);
  CHECK_FALSE(env->batch_scheduling);
  // The flag wins over the environment.
  auto both = load_config({"--batch-scheduling"}, {"RXON_BATCH_SCHEDULING=0"});
  REQUIRE(both);
  CHECK(both->batch_scheduling);
  temp_dir dir;
  {
    std::ofstream f{dir.file("rxon.json")};
    f << R"({"batch-scheduling": false})";
  }
  auto file = load_config({"--config", dir.file("rxon.json")}, {});
  REQUIRE(file);
  CHECK_FALSE(file->batch_scheduling);
  auto bad = load_config({}, {"RXON_BATCH_SCHEDULING=maybe"});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("batch-scheduling") != std::string::npos);
}

TEST_CASE("huge-pages is off by default and each source can turn it on") {
  auto defaults = load_config({}, {});
  REQUIRE(defaults);
  CHECK_FALSE(defaults->huge_pages);
  auto flag = load_config({"--huge-pages"}, {});
  REQUIRE(flag);
  CHECK(flag->huge_pages);
  auto env = load_config({}, {"RXON_HUGE_PAGES=1"});
  REQUIRE(env);
  CHECK(env->huge_pages);
  temp_dir dir;
  {
    std::ofstream f{dir.file("rxon.json")};
    f << R"({"huge-pages": true})";
  }
  auto file = load_config({"--config", dir.file("rxon.json")}, {});
  REQUIRE(file);
  CHECK(file->huge_pages);
}
