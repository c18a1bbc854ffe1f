// Signing (spec §5.1): the §5.1.2 vector table, direct model signatures
// against sign_payload(to_json(msg)), and verify_signature's rejections.

#include "protocol/codec.hpp"
#include "protocol/signing.hpp"

#include <doctest/doctest.h>

#include <cctype>
#include <optional>
#include <string>

using namespace rxon;

namespace {

json::value dom(std::string_view text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  return std::move(v).value();
}

skill_info make_skill(std::string name,
                      std::optional<std::string> version = {}) {
  skill_info s;
  s.name = std::move(name);
  s.version = std::move(version);
  return s;
}

security_context make_security(std::string signature,
                               std::optional<std::string> signer = {}) {
  security_context s;
  s.signature = std::move(signature);
  s.signer_id = std::move(signer);
  return s;
}

task_error make_error(std::string code, std::string message) {
  task_error e;
  e.code = std::move(code);
  e.message = std::move(message);
  return e;
}

} // namespace

TEST_CASE("signature vectors of spec 5.1.2 on JSON payloads") {
  struct row {
    const char* payload;
    const char* secret;
    const char* canon;
    const char* sig;
  };
  const row rows[] = {
      {R"({"worker_id":"test-worker","status":"active"})", "super-secret-key",
       R"({"status":"active","worker_id":"test-worker"})",
       "a9e36227ebd540b0eca7cc556b7e8893c3a9252e50290fa15bd9e2866fc32a5d"},
      {R"({"foo":"bar"})", "secret", R"({"foo":"bar"})",
       "3f3ab3986b656abb17af3eb1443ed6c08ef8fff9fea83915909d1b421aec89be"},
      {"{\"a\":0.5,\"b\":1e-7,\"c\":\"\xC3\xA9\\n\",\"d\":10.0,\"e\":[null,1],"
       "\"f\":null,\"g\":{\"z\":1,\"y\":true},\"security\":{\"signature\":"
       "\"x\"}}",
       "k",
       "{\"a\":0.5,\"b\":1e-7,\"c\":\"\xC3\xA9\\n\",\"d\":10,\"e\":[null,1],"
       "\"g\":{\"y\":true,\"z\":1}}",
       "d0e548081bd5feaa289bfcddea7516904de6b9d60e9fab5f77ba638cf100627d"},
      {R"([1,{"security":1}])", "k", R"([1,{"security":1}])",
       "224393b3f0f563eaae150802d1f778bc83a0e7730b5d195f0a23f1bc8b3b4dca"},
  };
  for (const auto& r : rows) {
    INFO(r.payload);
    auto p = dom(r.payload);
    auto canon = signing_message(p);
    REQUIRE(canon.has_value());
    CHECK(*canon == r.canon);
    auto sig = sign_payload(p, r.secret);
    REQUIRE(sig.has_value());
    CHECK(*sig == r.sig);
    CHECK(verify_signature(p, r.sig, r.secret));
  }
  CHECK(*calculate_dict_hash(dom(R"({"b":1,"a":2})"))
        == "d3626ac30a87e6f7a6428233b3c68299976865fa5508e4267c5415c76af7a772");
}

TEST_CASE(
    "signature vectors of spec 5.1.2 on models match sign_payload of to_json") {
  task_result res;
  res.job_id = "j1";
  res.task_id = "t1";
  res.worker_id = "w1";
  res.timestamp = 1700000000;
  res.data = dom(R"({"score":0.25,"n":3.0})");
  res.security = make_security("sig", "w1");

  heartbeat hb;
  hb.worker_id = "w1";
  hb.status = "idle";
  hb.usage = resources_usage{
      10.0, 1.5,
      std::vector<device_usage>{{"gpu-0", 45.0, dom(R"({"temp":65})")}}};
  hb.current_tasks = std::vector<std::string>{};
  hb.timestamp = 1700000000;

  worker_event ev;
  ev.event_id = "e1";
  ev.worker_id = "w1";
  ev.origin_worker_id = "w0";
  ev.event_type = "progress";
  ev.payload = dom(R"({"progress":0.5})");
  ev.bubbling_chain = std::vector<std::string>{"proxy-1"};
  ev.timestamp = 1700000000;

  const encode_options canon{.canonical = true, .omit = {}};
  const std::string_view no_security[] = {"security"};
  CHECK(
      encode(res, {.canonical = true, .omit = no_security})
      == R"({"data":{"n":3,"score":0.25},"job_id":"j1","status":"success","task_id":"t1","timestamp":1700000000,"worker_id":"w1"})");
  CHECK(*sign_message(res, "secret")
        == "ccd0ddfce5d396328c85859b37c1957014f55e1e7bee33b6b14e206d5adcb4d2");
  CHECK(*sign_payload(to_json(res), "secret") == *sign_message(res, "secret"));

  CHECK(
      encode(hb, canon)
      == R"({"current_tasks":[],"status":"idle","timestamp":1700000000,"usage":{"cpu_load_percent":10,"devices_usage":[{"load_percent":45,"metrics":{"temp":65},"unit_id":"gpu-0"}],"ram_used_gb":1.5},"worker_id":"w1"})");
  CHECK(*sign_message(hb, "tok")
        == "6612c6bba2cfc773b121d8438dd592bfae4f18fff1e223cea71b40ceacf7f1b6");
  CHECK(*calculate_dict_hash(to_json(hb))
        == "223d60ce4abbed22303a70aa7ca945386cb6c68c578aeb2236d45ecca1ce7c27");

  CHECK(
      encode(ev, canon)
      == R"({"bubbling_chain":["proxy-1"],"event_id":"e1","event_type":"progress","origin_worker_id":"w0","payload":{"progress":0.5},"priority":0,"timestamp":1700000000,"worker_id":"w1"})");
  CHECK(*sign_message(ev, "tok")
        == "682b6406e7995f456362cafc0548819a29ef95a37d01a1ef64d46c37ddbd452f");

  CHECK(*calculate_dict_hash(to_json(make_skill("echo", "1.0")))
        == "d4acb82b1c4ec98c049d6e15ac171422f73e6b57c72acf971acec86fe5a715e3");

  // Ignored fields are dropped from the model signature as from the DOM one.
  const std::string_view ignore[] = {"bubbling_chain"};
  CHECK(*sign_message(ev, "tok", ignore)
        == *sign_payload(to_json(ev), "tok", ignore));
  CHECK(*sign_message(ev, "tok", ignore) != *sign_message(ev, "tok"));
}

TEST_CASE("verify_signature rejects bad secrets and malformed signatures") {
  auto p = dom(R"({"foo":"bar"})");
  const std::string good
      = "3f3ab3986b656abb17af3eb1443ed6c08ef8fff9fea83915909d1b421aec89be";
  CHECK(verify_signature(p, good, "secret"));
  CHECK_FALSE(verify_signature(p, good, ""));
  CHECK_FALSE(verify_signature(p, "", "secret"));
  CHECK_FALSE(verify_signature(p, good, "secret2"));
  std::string upper = good;
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK_FALSE(verify_signature(p, upper, "secret"));
  CHECK_FALSE(verify_signature(p, good.substr(0, 63), "secret"));
  CHECK_FALSE(verify_signature(p, good + "0", "secret"));
  std::string last = good;
  last.back() = last.back() == 'e' ? 'f' : 'e';
  CHECK_FALSE(verify_signature(p, last, "secret"));
  std::string non_ascii = good.substr(0, 62) + "\xC3\xA9";
  CHECK_FALSE(verify_signature(p, non_ascii, "secret"));
  CHECK_FALSE(verify_signature(dom(R"({"foo":"baz"})"), good, "secret"));
  CHECK_FALSE(sign_payload(p, "").has_value());
  CHECK(sign_payload(p, "").error().message
        == "Secret key for signing cannot be empty.");
  CHECK_FALSE(sign_message(make_error("c", "m"), "").has_value());
}

TEST_CASE("payloads that the reference cannot encode are not signed") {
  auto big = dom(R"({"n":1e300})");
  CHECK(signing_message(big).error().code == errc::out_of_range);
  CHECK_FALSE(verify_signature(big, std::string(64, 'a'), "k"));
  // Built from JSON: literal assignments trip GCC 12's -Wrestrict false
  // positive (GCC PR 105329).
  auto t = *decode<task_payload>(R"({"job_id":"j","task_id":"t","type":"x"})");
  t.params = dom(R"({"n":1e300})");
  auto s = sign_message(t, "k");
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == errc::out_of_range);
  CHECK(s.error().message.rfind("params: ", 0) == 0);
}
