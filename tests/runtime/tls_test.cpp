// HTTPS, WSS and mTLS identity with a throwaway PKI made at test time.

#include "tests/runtime/support/fixture.hpp"
#include "tests/runtime/support/test_certs.hpp"

using namespace rxon;
using namespace rxon::test;

namespace {

runtime::listener_options tls_options(const test_pki& pki, bool require) {
  auto o = default_options();
  o.tls_cert = pki.server_cert;
  o.tls_key = pki.server_key;
  o.tls_ca = pki.ca_cert;
  o.require_client_cert = require;
  return o;
}

} // namespace

TEST_CASE("HTTPS serves token-authenticated workers without a certificate") {
  auto pki = make_test_pki();
  listener_fixture fx{tls_options(*pki, false)};
  http_client c{fx.port(), tls_client_files{pki->ca_cert, "", ""}};
  REQUIRE_MESSAGE(c.connect(), c.error());
  auto r = c.request("PATCH", "/_worker/workers/w1", {},
                     worker_headers("w1", "token-w1"));
  CHECK(r.status == 200);
  CHECK(r.header("x-rxon-version") == "1.0b13");
  CHECK(c.request("PATCH", "/_worker/workers/w1", {}, {}).status == 401);
}

TEST_CASE("the client certificate CN is the worker identity") {
  auto pki = make_test_pki();
  listener_fixture fx{tls_options(*pki, true)};
  auto [cert, key] = pki->client("w1");
  http_client c{fx.port(), tls_client_files{pki->ca_cert, cert, key}};
  REQUIRE_MESSAGE(c.connect(), c.error());
  auto ok
      = c.request("PATCH", "/_worker/workers/w1", {}, {{"X-Worker-ID", "w1"}});
  CHECK(ok.status == 200);
  auto mismatch
      = c.request("PATCH", "/_worker/workers/w2", {}, {{"X-Worker-ID", "w2"}});
  CHECK(mismatch.status == 403);
  auto sts
      = c.request("POST", "/_worker/auth/token", {}, {{"X-Worker-ID", "w1"}});
  CHECK(sts.status == 200);

  ws_client ws{fx.port(), tls_client_files{pki->ca_cert, cert, key}};
  CHECK(ws.connect("/_worker/ws/w1", {{"X-Worker-ID", "w1"}}) == 101);
  ws_client wrong{fx.port(), tls_client_files{pki->ca_cert, cert, key}};
  CHECK(wrong.connect("/_worker/ws/w2", {}) == 403);
}

TEST_CASE("a required client certificate must come from the trusted CA") {
  auto pki = make_test_pki();
  listener_fixture fx{tls_options(*pki, true)};
  http_client none{fx.port(), tls_client_files{pki->ca_cert, "", ""}};
  CHECK(none.request("GET", "/health").status == 0);
  auto [cert, key] = pki->rogue_client("w1");
  http_client rogue{fx.port(), tls_client_files{pki->ca_cert, cert, key}};
  CHECK(rogue.request("GET", "/health").status == 0);
}
