// Conformance vectors from the reference implementation: models.json and
// signing.json, read from $RXON_CONFORMANCE_DIR. No entry is special-cased.

#include "protocol/codec.hpp"
#include "protocol/signing.hpp"
#include "tests/support/conformance.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace rxon;

namespace {

std::string canonicalise(const std::string& text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(v.has_value(), (v ? "" : v.error().message));
  return json::to_string(*v);
}

const std::string& string_field(const json::value& entry, const char* key) {
  const auto* v = entry.find(key);
  REQUIRE_MESSAGE((v != nullptr && v->is_string()), key, " must be a string");
  return v->as_string();
}

// Decodes `wire` as T and checks the wire encoding, the DOM and the direct
// model signature against the canonical text.
template <class T>
void check_model(const json::value& wire, const std::string& canonical) {
  auto msg = from_json<T>(wire);
  REQUIRE_MESSAGE(msg.has_value(), (msg ? "" : msg.error().message));
  CHECK(canonicalise(encode(*msg)) == canonical);
  CHECK(json::to_string(to_json(*msg)) == canonical);
  auto canon_dom = json::parse(canonical);
  REQUIRE(canon_dom.has_value());
  auto direct = sign_message(*msg, "conformance-secret");
  auto via_dom = sign_payload(*canon_dom, "conformance-secret");
  REQUIRE(direct.has_value());
  REQUIRE(via_dom.has_value());
  CHECK(*direct == *via_dom);
}

// The top-level messages the vectors use; sub-models go through
// canonical_roundtrip only.
bool check_typed(const std::string& name, const json::value& wire,
                 const std::string& canonical) {
  if (name == "WorkerRegistration")
    check_model<worker_registration>(wire, canonical);
  else if (name == "TaskPayload")
    check_model<task_payload>(wire, canonical);
  else if (name == "TaskResult")
    check_model<task_result>(wire, canonical);
  else if (name == "Heartbeat")
    check_model<heartbeat>(wire, canonical);
  else if (name == "WorkerEventPayload")
    check_model<worker_event>(wire, canonical);
  else if (name == "WorkerCommand")
    check_model<worker_command>(wire, canonical);
  else if (name == "TokenResponse")
    check_model<token_response>(wire, canonical);
  else
    return false;
  return true;
}

std::vector<std::string_view> ignore_list(const json::value& entry) {
  std::vector<std::string_view> out;
  const auto* v = entry.find("ignore_fields");
  if (v == nullptr || v->is_null())
    return out;
  REQUIRE(v->is_array());
  for (const auto& f : v->as_array()) {
    REQUIRE(f.is_string());
    out.push_back(f.as_string());
  }
  return out;
}

// A changed copy of the payload that the signature must no longer cover:
// a new top-level member that is neither "security" nor ignored.
json::value tampered(const json::value& payload,
                     const std::vector<std::string_view>& ignored) {
  if (!payload.is_object())
    return json::value{json::array{payload}};
  std::string key = "rxon_tamper";
  auto is_skipped = [&](std::string_view k) {
    if (k == "security" || payload.as_object().contains(k))
      return true;
    for (auto f : ignored)
      if (f == k)
        return true;
    return false;
  };
  while (is_skipped(key))
    key += "_";
  auto copy = payload;
  copy.as_object().set(key, json::value{1});
  return copy;
}

} // namespace

TEST_CASE("conformance: models.json round-trips every message") {
  const std::string file = "models.json";
  auto vectors = test::load_vectors(file);
  REQUIRE(!vectors.empty());
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    INFO(test::where(file, i));
    const auto& entry = vectors[i];
    const auto& name = string_field(entry, "model");
    const auto* wire = entry.find("wire");
    REQUIRE(wire != nullptr);
    auto canonical = canonicalise(string_field(entry, "canonical"));
    auto got = canonical_roundtrip(name, *wire);
    REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.error().message));
    CHECK(*got == canonical);
    check_typed(name, *wire, canonical);
  }
}

TEST_CASE("conformance: signing.json canonical bytes, signatures and hashes") {
  const std::string file = "signing.json";
  auto vectors = test::load_vectors(file);
  REQUIRE(!vectors.empty());
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    INFO(test::where(file, i));
    const auto& entry = vectors[i];
    const auto* payload = entry.find("payload");
    REQUIRE(payload != nullptr);
    const auto& secret = string_field(entry, "secret");
    const auto& signature = string_field(entry, "signature");
    auto ignored = ignore_list(entry);

    auto canon = signing_message(*payload, ignored);
    REQUIRE_MESSAGE(canon.has_value(), (canon ? "" : canon.error().message));
    CHECK(*canon == string_field(entry, "canonical"));

    auto sig = sign_payload(*payload, secret, ignored);
    REQUIRE(sig.has_value());
    CHECK(*sig == signature);
    CHECK(verify_signature(*payload, signature, secret, ignored));
    CHECK_FALSE(verify_signature(tampered(*payload, ignored), signature, secret,
                                 ignored));

    auto hash = calculate_dict_hash(*payload);
    REQUIRE(hash.has_value());
    CHECK(*hash == string_field(entry, "dict_hash"));
  }
}
