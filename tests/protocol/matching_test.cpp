#include "protocol/matching.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace rxon;

namespace {

json::value parse(std::string_view text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  return *v;
}

// PROP on {"e": my} against {"e": req}.
bool prop(const json::value& my, const json::value& req) {
  return properties_match(json::object{{"e", my}}, json::object{{"e", req}});
}

bool prop_json(std::string_view my, std::string_view req) {
  return properties_match(parse(my), parse(req));
}

hardware_device gpu(double vram, std::string model = "RTX") {
  return {
      "gpu", std::move(model), std::nullopt, json::object{{"vram", vram}}, {}};
}

hardware_device want_gpu(double vram) {
  return {"gpu", std::nullopt, std::nullopt, json::object{{"vram", vram}}, {}};
}

resources with_devices(std::vector<hardware_device> ds) {
  return {std::move(ds), {}};
}

const double not_a_number = std::numeric_limits<double>::quiet_NaN();

} // namespace

TEST_CASE("a bool property counts as a number for at-least") {
  CHECK(prop(true, 1));
  CHECK(prop(2, true));
  CHECK(prop(true, false));
  CHECK_FALSE(prop(false, true));
  CHECK(prop(5, false));
  CHECK(prop(0, false));
  CHECK(prop(0, -1));
  CHECK_FALSE(prop(-1, false));
}

TEST_CASE("a list property matches by inclusion, never by at-least") {
  CHECK(prop_json(R"({"e":[16,32]})", R"({"e":16})"));
  CHECK_FALSE(prop_json(R"({"e":[16,32]})", R"({"e":8})"));
  CHECK(prop_json(R"({"e":true})", R"({"e":["a",1]})"));
  CHECK(prop_json(R"({"e":1.0})", R"({"e":[1]})"));
  CHECK(prop_json(R"({"e":[[1]]})", R"({"e":[[1],[2]]})"));
  CHECK(prop_json(R"({"e":"linux"})", R"({"e":["linux","darwin"]})"));
  CHECK_FALSE(prop_json(R"({"e":"linux"})", R"({"e":["windows","darwin"]})"));
  CHECK(prop_json(R"({"e":["fast","gpu"]})", R"({"e":["gpu","remote"]})"));
  CHECK_FALSE(
      prop_json(R"({"e":["fast","gpu"]})", R"({"e":["remote","slow"]})"));
  CHECK_FALSE(prop_json(R"({"e":["fast","gpu"]})", R"({"e":123})"));
  CHECK(prop_json(R"({"e":10})", R"({"e":[10,20]})"));
}

TEST_CASE("empty lists never match") {
  CHECK_FALSE(prop_json(R"({"e":[]})", R"({"e":[]})"));
  CHECK_FALSE(prop_json(R"({"e":["gpu"]})", R"({"e":[]})"));
  CHECK_FALSE(prop_json(R"({"e":[]})", R"({"e":["gpu"]})"));
  CHECK_FALSE(prop_json(R"({"e":[]})", R"({"e":"gpu"})"));
  CHECK_FALSE(prop_json(R"({"e":"gpu"})", R"({"e":[]})"));
}

TEST_CASE("a missing or null worker property fails") {
  CHECK_FALSE(prop_json(R"({})", R"({"e":0})"));
  CHECK_FALSE(prop_json(R"({"e":null})", R"({"e":0})"));
  CHECK_FALSE(prop(json::value{}, json::value{0}));
  CHECK_FALSE(properties_match(json::value{}, parse(R"({"a":1})")));
  CHECK(prop_json(R"({"e":false})", R"({"e":false})"));
  CHECK(prop_json(R"({"e":""})", R"({"e":""})"));
}

TEST_CASE("a null requirement matches only a list holding null") {
  CHECK_FALSE(prop(json::value{"x"}, json::value{}));
  CHECK(prop(parse("[1,null]"), json::value{}));
}

TEST_CASE("properties compare by Python equality, without substrings") {
  CHECK(prop_json(R"({"e":{"a":1}})", R"({"e":{"a":1.0}})"));
  CHECK(prop_json(R"({"e":{"a":[1,true]}})", R"({"e":{"a":[1.0,1]}})"));
  CHECK_FALSE(prop_json(R"({"e":{"a":1}})", R"({"e":{"a":1,"b":2}})"));
  CHECK_FALSE(prop_json(R"({"e":{"a":1}})", R"({"e":{"b":1}})"));
  CHECK_FALSE(prop_json(R"({"e":"A"})", R"({"e":"a"})"));
  CHECK_FALSE(prop_json(R"({"e":"abc"})", R"({"e":"b"})"));
  CHECK_FALSE(prop_json(R"({"e":"16GB"})", R"({"e":8})"));
  CHECK_FALSE(prop_json(R"({"e":{"amount":16}})", R"({"e":8})"));
}

TEST_CASE("NaN passes at-least but never equals anything") {
  CHECK(prop(not_a_number, 5));
  CHECK(prop(5, not_a_number));
  CHECK_FALSE(python_equal(not_a_number, not_a_number));
  CHECK_FALSE(prop(json::array{not_a_number}, json::value{not_a_number}));
}

TEST_CASE("numbers compare exactly across integers and floats") {
  CHECK(python_equal(1, 1.0));
  CHECK(python_equal(true, 1.0));
  CHECK(python_equal(false, 0));
  CHECK_FALSE(python_equal(true, 2));
  CHECK_FALSE(python_equal(json::value{"1"}, 1));
  CHECK_FALSE(python_equal(json::value{}, false));
  // 2^53 + 1 is not the double 2^53, as in Python.
  CHECK_FALSE(python_equal(int64_t{9007199254740993}, 9007199254740992.0));
  CHECK(prop(int64_t{9007199254740993}, 9007199254740992.0));
  CHECK_FALSE(prop(9007199254740992.0, int64_t{9007199254740993}));
  CHECK(prop(json::value{18446744073709551615ull}, 1e19));
  CHECK_FALSE(prop(json::value{18446744073709551615ull}, 1e20));
  CHECK(prop(json::value{18446744073709551615ull}, int64_t{-1}));
  CHECK_FALSE(prop(int64_t{-5}, -4.5));
  CHECK(prop(-4.5, int64_t{-5}));
}

TEST_CASE("an empty or null requirement always passes") {
  CHECK(properties_match(json::value{}, json::value{}));
  CHECK(properties_match(json::value{}, json::object{}));
  CHECK(properties_match(parse(R"({"a":1})"), json::value{}));
}

TEST_CASE("device type, model and id follow the empty-string rule") {
  hardware_device d{"gpu", "NVIDIA GeForce RTX 4090 Ti", "0", {}, {}};
  auto req = [](std::string type, std::optional<std::string> model,
                std::optional<std::string> id) {
    return hardware_device{
        std::move(type), std::move(model), std::move(id), {}, {}};
  };
  CHECK(matches(d, req("gpu", std::nullopt, std::nullopt)));
  CHECK(matches(d, req("", std::nullopt, std::nullopt)));
  CHECK_FALSE(matches(d, req("GPU", std::nullopt, std::nullopt)));
  CHECK_FALSE(matches(d, req("cpu", std::nullopt, std::nullopt)));
  for (const char* m : {"RTX 4090", "geforce", "nvidia", "rtx 4090 ti", ""})
    CHECK_MESSAGE(matches(d, req("gpu", m, std::nullopt)), m);
  CHECK_FALSE(matches(d, req("gpu", "RTX 3080", std::nullopt)));
  CHECK_FALSE(matches(d, req("gpu", "4090 Ti X", std::nullopt)));
  CHECK(matches(d, req("gpu", std::nullopt, "0")));
  CHECK(matches(d, req("gpu", std::nullopt, "")));
  CHECK_FALSE(matches(d, req("gpu", std::nullopt, "1")));
  hardware_device bare{"gpu", std::nullopt, std::nullopt, {}, {}};
  CHECK_FALSE(matches(bare, req("", "x", std::nullopt)));
  CHECK_FALSE(matches(bare, req("", std::nullopt, "0")));
  CHECK(matches(hardware_device{"gpu", "X", {}, {}, {}},
                req("", "x", std::nullopt)));
  // Non-ASCII letters are not case-folded (ASCII folding only).
  CHECK_FALSE(matches(hardware_device{"gpu", "ÄX", {}, {}, {}},
                      req("", "äx", std::nullopt)));
}

TEST_CASE("device properties use PROP and metrics are ignored") {
  hardware_device d{"gpu", "RTX", "0",
                    parse(R"({"memory_gb":24,"cuda_version":"12.1",)"
                          R"("compute_cap":8.9})"),
                    parse(R"({"load":99})")};
  auto req = [](std::string_view props) {
    return hardware_device{"gpu", {}, {}, parse(props), parse(R"({"x":1})")};
  };
  CHECK(matches(d, req(R"({"memory_gb":16})")));
  CHECK(matches(d, req(R"({"memory_gb":24,"compute_cap":8.0})")));
  CHECK(matches(d, req(R"({"cuda_version":"12.1"})")));
  CHECK_FALSE(matches(d, req(R"({"memory_gb":32})")));
  CHECK_FALSE(matches(d, req(R"({"cuda_version":"11.8"})")));
  CHECK_FALSE(matches(d, req(R"({"unknown_prop":1})")));
}

TEST_CASE("one worker device cannot satisfy two required devices") {
  auto w = with_devices({gpu(24), gpu(12), gpu(8)});
  CHECK(matches(w, with_devices({want_gpu(20), want_gpu(10)})));
  CHECK_FALSE(matches(w, with_devices({want_gpu(20), want_gpu(20)})));
  CHECK_FALSE(matches(
      w, with_devices({want_gpu(1), want_gpu(1), want_gpu(1), want_gpu(1)})));
}

TEST_CASE("device assignment is complete where greedy first-fit fails") {
  auto w = with_devices({gpu(24), gpu(12)});
  CHECK(matches(w, with_devices({want_gpu(20), want_gpu(10)})));
  // Greedy would give the 24 to the first requirement and fail.
  CHECK(matches(w, with_devices({want_gpu(10), want_gpu(20)})));
  // A longer augmenting path: each requirement's first choice is taken.
  auto w3 = with_devices({gpu(30), gpu(20), gpu(10)});
  CHECK(matches(w3, with_devices({want_gpu(5), want_gpu(15), want_gpu(25)})));
  CHECK_FALSE(
      matches(w3, with_devices({want_gpu(25), want_gpu(15), want_gpu(25)})));
}

TEST_CASE("device assignment works beyond the inline capacity of 64") {
  std::vector<hardware_device> have, want;
  for (int i = 0; i < 100; ++i) {
    have.push_back(gpu(i));
    want.push_back(want_gpu(99 - i)); // reversed: greedy fails early
  }
  CHECK(matches(with_devices(have), with_devices(want)));
  want.push_back(want_gpu(0));
  CHECK_FALSE(matches(with_devices(have), with_devices(want)));
  want.pop_back();
  want.back() = want_gpu(1000);
  CHECK_FALSE(matches(with_devices(have), with_devices(want)));
}

TEST_CASE("null and empty device lists and properties") {
  resources none{std::nullopt, {}};
  resources empty{std::vector<hardware_device>{}, json::object{}};
  CHECK(matches(none, none));
  CHECK(matches(none, empty));
  CHECK(matches(empty, none));
  CHECK(matches(empty, empty));
  CHECK_FALSE(matches(empty, with_devices({want_gpu(1)})));
  CHECK_FALSE(matches(none, with_devices({want_gpu(1)})));
  CHECK_FALSE(matches(empty, resources{std::nullopt, parse(R"({"a":1})")}));
}

TEST_CASE("resource properties are checked after the devices") {
  resources w{std::vector<hardware_device>{gpu(24)},
              parse(R"({"cpu_cores":16,"ram_gb":64.5,"tier":1,)"
                    R"("location":"us-east"})")};
  auto req = [](std::string_view props) {
    return resources{std::nullopt, parse(props)};
  };
  CHECK(matches(w, req(R"({"cpu_cores":8,"ram_gb":32.0})")));
  CHECK(matches(w, req(R"({"cpu_cores":16,"ram_gb":64.5})")));
  CHECK(matches(w, req(R"({"location":"us-east","tier":1})")));
  CHECK_FALSE(matches(w, req(R"({"cpu_cores":32})")));
  CHECK_FALSE(matches(w, req(R"({"ram_gb":128})")));
  CHECK_FALSE(matches(w, req(R"({"tier":2})")));
  CHECK_FALSE(matches(w, req(R"({"location":"eu-west"})")));
  resources both{std::vector<hardware_device>{want_gpu(30)},
                 parse(R"({"cpu_cores":8})")};
  CHECK_FALSE(matches(w, both));
}

TEST_CASE("artifacts compare name, version unless unknown, and properties") {
  installed_artifact a{"cuda", "12.1", "library", parse(R"({"driver":525})")};
  auto req = [](std::string name, std::string version,
                std::string_view props = "null") {
    return installed_artifact{std::move(name), std::move(version), "other",
                              parse(props)};
  };
  CHECK(matches(a, req("cuda", "unknown")));
  CHECK(matches(a, req("cuda", "12.1")));
  CHECK(matches(a, req("cuda", "unknown", R"({"driver":500})")));
  CHECK_FALSE(matches(a, req("cuda", "11.8")));
  CHECK_FALSE(matches(a, req("cudnn", "unknown")));
  CHECK_FALSE(matches(a, req("cuda", "unknown", R"({"driver":530})")));
  CHECK_FALSE(matches(a, req("cuda", "")));
  installed_artifact blank{"cuda", "", {}, {}};
  CHECK(matches(blank, req("cuda", "")));
}

TEST_CASE("skills treat only null as no requirement") {
  skill_info w;
  w.name = "echo";
  skill_info r;
  r.name = "echo";
  CHECK(matches(w, r));
  r.version = "1.0.0";
  CHECK_FALSE(matches(w, r));
  w.version = "1.0.0";
  CHECK(matches(w, r));
  r.type = "";
  CHECK_FALSE(matches(w, r));
  w.type = "";
  CHECK(matches(w, r));
  skill_info empty;
  CHECK_FALSE(matches(empty, r));
  // Other fields are not compared.
  w.description.emplace(3, 'x');
  w.input_schema = json::object{{"type", "object"}};
  CHECK(matches(w, r));
}
