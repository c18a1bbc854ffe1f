#include "protocol/json.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>

using namespace rxon;

namespace {

std::string canon(std::string_view text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  return json::to_string(*v);
}

std::string num(double d) {
  std::string out;
  json::write_number(d, out);
  return out;
}

} // namespace

TEST_CASE("objects are written with sorted keys and null members dropped") {
  CHECK(canon(R"({"b":1,"a":{"z":null,"y":true},"c":[null,1]})")
        == R"({"a":{"y":true},"b":1,"c":[null,1]})");
}

TEST_CASE("keys sort by code point, not UTF-16 units") {
  CHECK(
      canon(
          "{\"\xF0\x9F\x98\x80\":2,\"\xEF\xBF\xBF\":1,\"a\":3,\"_\":5,\"B\":4}")
      == "{\"B\":4,\"_\":5,\"a\":3,\"\xEF\xBF\xBF\":1,\"\xF0\x9F\x98\x80\":2}");
}

TEST_CASE("duplicate keys keep the last value") {
  CHECK(canon(R"({"a":1,"a":2})") == R"({"a":2})");
}

TEST_CASE("integral floats are written as integers") {
  CHECK(num(10.0) == "10");
  CHECK(num(-0.0) == "0");
  CHECK(num(1e10) == "10000000000");
  CHECK(canon("[1.0,2.5,-3.0]") == "[1,2.5,-3]");
}

TEST_CASE("floats use shortest digits with the reference's exponent rules") {
  CHECK(num(0.1) == "0.1");
  CHECK(num(123.456) == "123.456");
  CHECK(num(0.00001) == "0.00001");
  CHECK(num(0.000012345) == "0.000012345");
  CHECK(num(0.30000000000000004) == "0.30000000000000004");
  CHECK(num(4503599627370495.5) == "4503599627370495.5");
  CHECK(num(1e-6) == "1e-6");
  CHECK(num(9.99e-6) == "9.99e-6");
  CHECK(num(1e-7) == "1e-7");
  CHECK(num(1.5e-10) == "1.5e-10");
  CHECK(num(2.5e-320) == "2.5e-320");
  CHECK(num(5e-324) == "5e-324");
  CHECK(num(-0.5) == "-0.5");
  CHECK(num(NAN) == "null");
}

TEST_CASE("strings escape as the reference does") {
  CHECK(canon(R"(["\"\\\b\t\n\f\r\u0001\u001f\u007f/"])")
        == "[\"\\\"\\\\\\b\\t\\n\\f\\r\\u0001\\u001f\x7f/\"]");
  CHECK(canon(R"(["\u00e9\u2028"])") == "[\"\xC3\xA9\xE2\x80\xA8\"]");
}

TEST_CASE("64-bit integers are exact at both ends") {
  CHECK(canon("[9223372036854775807,-9223372036854775808,18446744073709551615]")
        == "[9223372036854775807,-9223372036854775808,18446744073709551615]");
}

TEST_CASE("integers beyond 64 bits parse but cannot be encoded") {
  auto v = json::parse("[18446744073709551616]");
  REQUIRE(v);
  auto st = json::check_encodable(*v);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::out_of_range);
}

TEST_CASE("hostile input gives a clear error, never a crash") {
  for (auto text : {"", "{", "[1,", "{\"a\":}", "nul", "[1]x", "\"\xFF\"",
                    "\"\\ud800\"", "\"\\udc00\"", "{1:2}", "[1e400]"}) {
    auto v = json::parse(text);
    CHECK_MESSAGE(!v, text);
    if (!v)
      CHECK(v.error().message.find("offset") != std::string::npos);
  }
}

TEST_CASE("nesting is limited to the reference's 100 levels") {
  std::string ok(100, '[');
  ok += std::string(100, ']');
  CHECK(json::parse(ok));
  std::string deep(101, '[');
  deep += std::string(101, ']');
  CHECK(json::parse(deep)); // 101 empty-at-the-bottom arrays: depth 100
  std::string too_deep = "[" + deep + "]";
  auto v = json::parse(too_deep);
  REQUIRE_FALSE(v);
  CHECK(v.error().code == errc::too_deep);
  std::string huge(1'000'000, '[');
  CHECK_FALSE(json::parse(huge));
}

TEST_CASE("numbers compare by value across representations") {
  CHECK(json::value{1} == json::value{1.0});
  CHECK_FALSE(json::value{1} == json::value{true});
  CHECK(json::value{json::object{{"a", 1}}}
        == json::value{json::object{{"a", 1.0}}});
}

TEST_CASE("raw control characters in strings are rejected wherever they sit") {
  // RapidJSON 1.1.0's SSE2 string scan misses 0x1A..0x1F; we must not.
  for (int c = 0x01; c < 0x20; ++c) {
    for (std::size_t pad : {0u, 5u, 17u, 40u}) {
      std::string text = "[\"" + std::string(pad, 'x');
      text.push_back(static_cast<char>(c));
      text += "y\"]";
      auto v = json::parse(text);
      CHECK_MESSAGE(!v, "byte " << c << " after " << pad);
    }
  }
}

TEST_CASE("unsorted and duplicate keys sort with the last value winning") {
  CHECK(canon(R"({"c":{"y":1,"x":2,"y":3},"a":[{"b":1,"a":2}],"c":{"z":0}})")
        == R"({"a":[{"a":2,"b":1}],"c":{"z":0}})");
  CHECK(canon(R"({"b":1,"a":2,"b":3,"a":4,"c":5})")
        == R"({"a":4,"b":3,"c":5})");
}

TEST_CASE("escaped lone surrogates are rejected in keys and values") {
  for (auto text : {R"({"\ud800":1})", R"({"a\udfff":1})", R"(["x\udc00"])"}) {
    auto v = json::parse(text);
    REQUIRE_MESSAGE(!v, text);
    CHECK(v.error().message.find("surrogate") != std::string::npos);
  }
  CHECK(canon(R"(["\ud83d\ude00"])") == "[\"\xF0\x9F\x98\x80\"]");
}

TEST_CASE("long documents, embedded NULs and deep limits parse as before") {
  std::string big = "[\"" + std::string(5000, 'x') + "\",\"\xC3\xA9\"]";
  auto v = json::parse(big);
  REQUIRE(v);
  CHECK(v->as_array()[0].as_string().size() == 5000);
  auto nul = json::parse(std::string_view{"[\"a\0b\"]", 7});
  REQUIRE_FALSE(nul);
  CHECK(nul.error().message
        == "invalid JSON at offset 3: Missing a closing "
           "quotation mark in string.");
  auto after = json::parse(std::string_view{"[1] \0", 5});
  REQUIRE_FALSE(after);
  CHECK(after.error().message
        == "invalid JSON at offset 4: unexpected data after the document");
  // Above 128 levels the reader runs iteratively; the DOM is the same.
  std::string deep(150, '[');
  deep += "{\"b\":1,\"a\":2}" + std::string(150, ']');
  json::parse_options opts;
  opts.max_depth = 1000;
  auto d = json::parse(deep, opts);
  REQUIRE(d);
  CHECK(json::to_string(*d)
        == std::string(150, '[') + R"({"a":2,"b":1})" + std::string(150, ']'));
  opts.max_depth = 120;
  auto shallow = json::parse(deep, opts);
  REQUIRE_FALSE(shallow);
  CHECK(shallow.error().code == errc::too_deep);
}

TEST_CASE("escaping finds special bytes at any position in long strings") {
  // The writer skips eight plain bytes at a time; check every alignment.
  auto naive = [](const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\')
        out += {'\\', static_cast<char>(c)};
      else if (c == '\n')
        out += "\\n";
      else if (c == 0x1F)
        out += "\\u001f";
      else
        out.push_back(static_cast<char>(c));
    }
    return out + "\"";
  };
  for (char special : {'"', '\\', '\n', '\x1F', '\x7F'}) {
    for (std::size_t pos = 0; pos < 40; ++pos) {
      std::string s(40, 'a');
      s[pos] = special;
      std::string out;
      json::write_string(s, out);
      CHECK_MESSAGE(out == naive(s), "byte " << int(special) << " at " << pos);
      auto back = json::parse(out);
      REQUIRE(back);
      CHECK(back->as_string() == s);
    }
  }
}
