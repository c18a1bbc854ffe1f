// Unit tests of runtime/auth: no sockets, injected clocks.

#include "protocol/signing.hpp"
#include "runtime/auth/authenticator.hpp"
#include "runtime/auth/rate_limiter.hpp"
#include "runtime/auth/signature_checker.hpp"
#include "runtime/http/url.hpp"

#include <doctest/doctest.h>

#include <cmath>

using namespace rxon;
using namespace rxon::runtime;
using namespace std::chrono_literals;

namespace {

struct fake_wall {
  std::chrono::system_clock::time_point now
      = std::chrono::system_clock::time_point{std::chrono::seconds{1700000000}};
  wall_clock fn() {
    return [this] { return now; };
  }
};

auth_options static_tokens(auth_mode mode = auth_mode::mixed) {
  auth_options o;
  o.mode = mode;
  o.worker_tokens = {{"w1", "tok1"}, {"w2", "tok2"}};
  o.global_token = "global";
  return o;
}

} // namespace

TEST_CASE("a per-worker token authenticates only its own worker") {
  authenticator a{static_tokens()};
  auto ok = a.authenticate({"tok1", "w1", ""});
  REQUIRE(ok);
  CHECK(ok->worker_id == "w1");
  auto other = a.authenticate({"tok1", "w2", ""});
  REQUIRE_FALSE(other);
  CHECK(other.error().code == errc::auth);
  auto none = a.authenticate({"", "w1", ""});
  REQUIRE_FALSE(none);
  CHECK(none.error().code == errc::auth);
  CHECK(none.error().message.find("X-Worker-Token") != std::string::npos);
}

TEST_CASE("the global token cannot claim a worker that has its own token") {
  authenticator a{static_tokens()};
  auto free_id = a.authenticate({"global", "w9", ""});
  REQUIRE(free_id);
  CHECK(free_id->worker_id == "w9");
  CHECK(free_id->method == auth_method::global);
  auto claimed = a.authenticate({"global", "w1", ""});
  REQUIRE_FALSE(claimed);
  CHECK(claimed.error().code == errc::forbidden);
  auto anonymous = a.authenticate({"global", "", ""});
  REQUIRE_FALSE(anonymous);
  CHECK(anonymous.error().code == errc::auth);
}

TEST_CASE("a certificate identity wins and refuses a different worker id") {
  authenticator a{static_tokens()};
  auto ok = a.authenticate({"", "w1", "w1"});
  REQUIRE(ok);
  CHECK(ok->method == auth_method::certificate);
  auto mismatch = a.authenticate({"tok2", "w2", "w1"});
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().code == errc::forbidden);
}

TEST_CASE("auth modes restrict the accepted credentials") {
  authenticator mtls{static_tokens(auth_mode::mtls_only)};
  CHECK(mtls.authenticate({"", "w1", "w1"}));
  auto static_tok = mtls.authenticate({"tok1", "w1", ""});
  REQUIRE_FALSE(static_tok);
  CHECK(static_tok.error().code == errc::auth);
  auto sts = mtls.sts().issue("w1");
  CHECK(mtls.authenticate({sts.access_token, "w1", ""}));

  authenticator tokens{static_tokens(auth_mode::token_only)};
  auto cert_only = tokens.authenticate({"", "w1", "w1"});
  REQUIRE_FALSE(cert_only);
  CHECK(cert_only.error().code == errc::auth);
  CHECK(tokens.authenticate({"tok1", "w1", "w1"}));
  CHECK(parse_auth_mode("mtls-only").value() == auth_mode::mtls_only);
  CHECK_FALSE(parse_auth_mode("bogus"));
}

TEST_CASE("STS tokens expire and a refresh revokes the old pair") {
  fake_wall clock;
  sts_options opts;
  opts.access_ttl = 10s;
  opts.refresh_ttl = 100s;
  auth_options ao = static_tokens();
  ao.sts = opts;
  authenticator a{ao, clock.fn()};
  auto pair = a.sts().issue("w1");
  CHECK(pair.expires_in == 10);
  REQUIRE(pair.refresh_token);
  CHECK(pair.access_token.size() >= 43); // 32 random bytes, base64url
  CHECK(a.authenticate({pair.access_token, "w1", ""}));
  auto wrong_worker = a.authenticate({pair.access_token, "w2", ""});
  REQUIRE_FALSE(wrong_worker);
  CHECK(wrong_worker.error().code == errc::forbidden);

  clock.now += 11s;
  auto expired = a.authenticate({pair.access_token, "w1", ""});
  REQUIRE_FALSE(expired);
  CHECK(expired.error().code == errc::auth);
  CHECK(expired.error().message == "access token expired");

  auto stolen = a.sts().refresh(*pair.refresh_token, "w2");
  REQUIRE_FALSE(stolen);
  CHECK(stolen.error().code == errc::forbidden);
  auto fresh = a.sts().refresh(*pair.refresh_token, "w1");
  REQUIRE(fresh);
  CHECK(fresh->worker_id == "w1");
  CHECK(fresh->access_token != pair.access_token);
  auto reused = a.sts().refresh(*pair.refresh_token, "w1");
  REQUIRE_FALSE(reused);
  CHECK(reused.error().code == errc::auth);
  CHECK(a.authenticate({fresh->access_token, "w1", ""}));

  // Refreshing again revokes the access token of the previous refresh.
  auto third = a.sts().refresh(*fresh->refresh_token, "");
  REQUIRE(third);
  CHECK_FALSE(a.authenticate({fresh->access_token, "w1", ""}));
  clock.now += 101s;
  CHECK_FALSE(a.sts().refresh(*third->refresh_token, "w1"));
}

TEST_CASE("the rate limiter refills continuously and says when to retry") {
  auto now = std::chrono::steady_clock::time_point{};
  rate_limit_options o;
  o.limits[static_cast<std::size_t>(message_kind::poll)] = {2, 3};
  rate_limiter rl{o, [&] { return now; }};
  for (int i = 0; i < 3; ++i)
    CHECK_FALSE(rl.acquire("w1", message_kind::poll));
  auto wait = rl.acquire("w1", message_kind::poll);
  REQUIRE(wait);
  CHECK(*wait == doctest::Approx(0.5));
  CHECK_FALSE(rl.acquire("w2", message_kind::poll));   // separate bucket
  CHECK_FALSE(rl.acquire("w1", message_kind::result)); // separate type
  now += 500ms;
  CHECK_FALSE(rl.acquire("w1", message_kind::poll));
  CHECK(rl.acquire("w1", message_kind::poll));
  rl.options().enabled = false;
  CHECK_FALSE(rl.acquire("w1", message_kind::poll));
}

TEST_CASE("signed messages need a fresh timestamp and are accepted once") {
  fake_wall clock;
  signature_options so;
  so.required = true;
  so.secrets = {{"w1", "s3cret"}};
  signature_checker sc{so, clock.fn()};
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   clock.now.time_since_epoch())
                   .count();
  json::value msg = json::object{{"worker_id", "w1"},
                                 {"event_type", "progress"},
                                 {"timestamp", now_s},
                                 {"bubbling_chain", json::array{"a"}}};
  constexpr std::string_view ignore[] = {"bubbling_chain"};
  auto sig = sign_payload(msg, "s3cret", ignore);
  REQUIRE(sig);
  msg.as_object().set("security",
                      json::object{{"signature", *sig}, {"signer_id", "w1"}});
  // Relays may append to bubbling_chain without breaking the signature.
  msg.as_object().set("bubbling_chain", json::array{"a", "b"});
  CHECK(sc.check("w1", msg, ignore));
  auto replay = sc.check("w1", msg, ignore);
  REQUIRE_FALSE(replay);
  CHECK(replay.error().message.find("replayed") != std::string::npos);

  auto tampered = msg;
  tampered.as_object().set("event_type", "other");
  CHECK_FALSE(sc.check("w1", tampered, ignore));
  CHECK_FALSE(sc.check("w2", msg, ignore)); // no secret, wrong signer

  json::value stale
      = json::object{{"worker_id", "w1"}, {"timestamp", now_s - 61}};
  auto stale_sig = sign_payload(stale, "s3cret");
  stale.as_object().set("security", json::object{{"signature", *stale_sig}});
  auto late = sc.check("w1", stale);
  REQUIRE_FALSE(late);
  CHECK(late.error().code == errc::invalid_signature);
  CHECK(late.error().message.find("timestamp") != std::string::npos);

  json::value unsigned_msg = json::object{{"timestamp", now_s}};
  CHECK_FALSE(sc.check("w1", unsigned_msg));
  signature_checker off{};
  CHECK(off.check("w1", unsigned_msg));
}

TEST_CASE("poll query parameters are parsed as the reference listener does") {
  auto t = parse_target(
      "/_worker/workers/w%201/tasks/next?timeout=1.5&available_skills=a,+b,,"
      "&hot_skills=");
  REQUIRE(t);
  REQUIRE(t->segments.size() == 5);
  CHECK(t->segments[2] == "w 1");
  CHECK(split_skill_list(*query_value(*t, "available_skills"))
        == std::vector<std::string>{"a", "b"});
  CHECK(split_skill_list(*query_value(*t, "hot_skills")).empty());
  CHECK(parse_python_float(" 30 ").value() == 30.0);
  CHECK(parse_python_float("1_000").value() == 1000.0);
  CHECK(std::isinf(parse_python_float("inf").value()));
  CHECK_FALSE(parse_python_float("abc"));
  CHECK_FALSE(parse_python_float("0x10"));
  CHECK_FALSE(parse_target("/a%zz"));
}
