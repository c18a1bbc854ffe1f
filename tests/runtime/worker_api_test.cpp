// End-to-end worker endpoints over loopback against the fake orchestrator.

#include "protocol/codec.hpp"
#include "protocol/signing.hpp"
#include "tests/runtime/support/fixture.hpp"

using namespace rxon;
using namespace rxon::test;

namespace {

const std::string registration
    = R"({"worker_id":"w1","worker_type":"gpu","supported_skills":[{"name":"resize"}]})";

std::string result_body(const std::string& task_id) {
  return R"({"job_id":"job-)" + task_id + R"(","task_id":")" + task_id
         + R"(","worker_id":"w1","status":"success","data":{"ok":true}})";
}

} // namespace

TEST_CASE("a worker registers, polls, posts a result and heartbeats") {
  listener_fixture fx;
  http_client c{fx.port()};
  auto h = worker_headers("w1", "token-w1");

  auto reg = c.request("POST", "/_worker/workers/register", registration, h);
  CHECK(reg.status == 200);
  CHECK(reg.header("x-rxon-version") == "1.0b13");
  CHECK(reg.json().find("status")->as_string() == "registered");
  CHECK(fx.fake.snapshot().registrations.at(0).worker_type == "gpu");

  auto empty
      = c.request("GET", "/_worker/workers/w1/tasks/next?timeout=0.1", {}, h);
  CHECK(empty.status == 204);
  CHECK(empty.body.empty());
  CHECK(empty.header("x-rxon-version") == "1.0b13");

  fx.fake.push_task(make_task("t1"));
  auto got = c.request("GET",
                       "/_worker/workers/w1/tasks/"
                       "next?timeout=1.0&available_skills=resize,+crop,"
                       "&hot_skills=",
                       {}, h);
  REQUIRE(got.status == 200);
  auto task = decode<task_payload>(got.body);
  REQUIRE(task);
  CHECK(task->task_id == "t1");
  auto polls = fx.fake.snapshot().polls;
  REQUIRE(polls.size() == 2);
  CHECK(polls[1].timeout == std::chrono::milliseconds{1000});
  CHECK(*polls[1].available_skills
        == std::vector<std::string>{"resize", "crop"});
  CHECK(polls[1].hot_skills->empty());
  CHECK_FALSE(polls[0].available_skills);

  auto res = c.request("POST", "/_worker/tasks/result", result_body("t1"), h);
  CHECK(res.status == 200);
  CHECK(res.json().find("status")->as_string() == "accepted");
  CHECK(fx.fake.snapshot().results.at(0).task_id == "t1");

  auto hb_empty = c.request("PATCH", "/_worker/workers/w1", {}, h);
  CHECK(hb_empty.status == 200);
  CHECK(hb_empty.json().find("status")->as_string() == "ttl_refreshed");
  auto hb = c.request("PATCH", "/_worker/workers/w1",
                      R"({"worker_id":"w1","status":"idle"})", h);
  CHECK(hb.status == 200);
  CHECK(hb.json().find("status")->as_string() == "ok");
  auto beats = fx.fake.snapshot().heartbeats;
  REQUIRE(beats.size() == 2);
  CHECK_FALSE(beats[0].second);
  CHECK(beats[1].second->status == "idle");
}

TEST_CASE("a long poll waits for a task pushed while it is parked") {
  listener_fixture fx;
  http_client c{fx.port()};
  std::thread pusher{[&] {
    eventually([&] { return fx.fake.snapshot().polls.size() == 1; });
    fx.fake.push_task(make_task("late"));
  }};
  auto got = c.request("GET", "/_worker/workers/w1/tasks/next?timeout=2", {},
                       worker_headers("w1", "token-w1"));
  pusher.join();
  REQUIRE(got.status == 200);
  CHECK(decode<task_payload>(got.body)->task_id == "late");
}

TEST_CASE("the poll timeout is capped by the server maximum") {
  auto o = default_options();
  o.max_poll_timeout = std::chrono::milliseconds{200};
  listener_fixture fx{o};
  http_client c{fx.port()};
  auto start = std::chrono::steady_clock::now();
  auto r = c.request("GET", "/_worker/workers/w1/tasks/next?timeout=3600", {},
                     worker_headers("w1", "token-w1"));
  CHECK(r.status == 204);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(fx.fake.snapshot().polls.at(0).timeout
        == std::chrono::milliseconds{200});
}

TEST_CASE("events are accepted over HTTP and checked against the sender") {
  listener_fixture fx;
  http_client c{fx.port()};
  auto h = worker_headers("w1", "token-w1");
  auto ok = c.request(
      "POST", "/_worker/events",
      R"({"event_id":"e1","worker_id":"w1","origin_worker_id":"w1","event_type":"progress","payload":{"p":1}})",
      h);
  CHECK(ok.status == 200);
  CHECK(ok.json().find("status")->as_string() == "event_accepted");
  auto spoof = c.request(
      "POST", "/_worker/events",
      R"({"event_id":"e2","worker_id":"w2","origin_worker_id":"w2","event_type":"progress","payload":{}})",
      h);
  CHECK(spoof.status == 403);
  CHECK(fx.fake.snapshot().events.size() == 1);
}

TEST_CASE("a result whose identity chain does not end with the sender is "
          "refused") {
  listener_fixture fx;
  http_client c{fx.port()};
  auto h = worker_headers("w1", "token-w1");
  auto forged = c.request(
      "POST", "/_worker/tasks/result",
      R"({"job_id":"j1","task_id":"t1","worker_id":"w1","status":"success","security":{"identity_chain":["w1","w2"]}})",
      h);
  CHECK(forged.status == 403);
  CHECK(forged.body.find("identity_chain") != std::string::npos);
  auto relayed = c.request(
      "POST", "/_worker/tasks/result",
      R"({"job_id":"j1","task_id":"t1","worker_id":"w1","status":"success","security":{"identity_chain":["leaf","w1"]}})",
      h);
  CHECK(relayed.status == 200);
}

TEST_CASE("STS tokens are issued, used, refreshed and expire with 401") {
  auto now = std::chrono::system_clock::now();
  runtime::server_clocks clocks;
  clocks.wall = [&now] { return now; };
  listener_fixture fx{default_options(), clocks};
  http_client c{fx.port()};
  auto issued = c.request("POST", "/_worker/auth/token", {},
                          worker_headers("w1", "token-w1"));
  REQUIRE(issued.status == 200);
  auto tokens = decode<token_response>(issued.body);
  REQUIRE(tokens);
  CHECK(tokens->worker_id == "w1");
  CHECK(tokens->expires_in == 3600);
  REQUIRE(tokens->refresh_token);

  auto h = worker_headers("w1", tokens->access_token);
  CHECK(c.request("PATCH", "/_worker/workers/w1", {}, h).status == 200);
  auto refreshed = c.request(
      "POST", "/_worker/auth/token/refresh",
      R"({"refresh_token":")" + *tokens->refresh_token + R"("})", h);
  REQUIRE(refreshed.status == 200);
  auto fresh = decode<token_response>(refreshed.body);
  REQUIRE(fresh);
  auto revoked = c.request("PATCH", "/_worker/workers/w1", {}, h);
  CHECK(revoked.status == 401);
  auto h2 = worker_headers("w1", fresh->access_token);
  CHECK(c.request("PATCH", "/_worker/workers/w1", {}, h2).status == 200);

  now += std::chrono::seconds{3601};
  auto expired = c.request("PATCH", "/_worker/workers/w1", {}, h2);
  CHECK(expired.status == 401);
  CHECK(expired.json().find("error")->as_string() == "access token expired");
  auto bad_refresh = c.request("POST", "/_worker/auth/token/refresh",
                               R"({"refresh_token":"nope"})", h2);
  CHECK(bad_refresh.status == 401);
}

TEST_CASE("bad requests get 400 and the connection stays usable") {
  listener_fixture fx;
  http_client c{fx.port()};
  auto h = worker_headers("w1", "token-w1");
  auto malformed = c.request("POST", "/_worker/tasks/result", "{oops", h);
  CHECK(malformed.status == 400);
  CHECK(malformed.json().find("error")->as_string().find("request body")
        != std::string::npos);
  auto wrong_type = c.request("POST", "/_worker/tasks/result",
                              R"({"job_id":1,"task_id":"t"})", h);
  CHECK(wrong_type.status == 400);
  CHECK(wrong_type.json().find("error")->as_string().find("job_id")
        != std::string::npos);
  auto bad_id = c.request("GET", "/_worker/workers/w%0A1/tasks/next", {}, h);
  CHECK(bad_id.status == 400);
  auto empty = c.request("POST", "/_worker/workers/register", {}, h);
  CHECK(empty.status == 400);
  // Same connection, still fine.
  auto ok = c.request("PATCH", "/_worker/workers/w1", {}, h);
  CHECK(ok.status == 200);
}

TEST_CASE("credentials problems give 401 and foreign ids 403") {
  listener_fixture fx;
  http_client c{fx.port()};
  auto none
      = c.request("PATCH", "/_worker/workers/w1", {}, {{"X-Worker-ID", "w1"}});
  CHECK(none.status == 401);
  CHECK(none.json().find("error")->as_string()
        == "missing X-Worker-Token header");
  CHECK(none.header("x-rxon-version") == "1.0b13");
  auto wrong = c.request("PATCH", "/_worker/workers/w1", {},
                         worker_headers("w1", "not-it"));
  CHECK(wrong.status == 401);
  auto other = c.request("GET", "/_worker/workers/w2/tasks/next", {},
                         worker_headers("w1", "token-w1"));
  CHECK(other.status == 401); // w1's token is not w2's
  auto global_claim = c.request("PATCH", "/_worker/workers/w2", {},
                                worker_headers("w2", "global-secret"));
  CHECK(global_claim.status == 403);
  auto foreign_body
      = c.request("POST", "/_worker/tasks/result",
                  R"({"job_id":"j","task_id":"t","worker_id":"w2"})",
                  worker_headers("w1", "token-w1"));
  CHECK(foreign_body.status == 403);
  auto foreign_hb = c.request("PATCH", "/_worker/workers/w1",
                              R"({"worker_id":"w2","status":"idle"})",
                              worker_headers("w1", "token-w1"));
  CHECK(foreign_hb.status == 403);
}

TEST_CASE("a throttled worker gets 429 with Retry-After") {
  auto o = default_options();
  o.rate_limits
      .limits[static_cast<std::size_t>(runtime::message_kind::heartbeat)]
      = {0.5, 2};
  listener_fixture fx{o};
  http_client c{fx.port()};
  auto h = worker_headers("w1", "token-w1");
  CHECK(c.request("PATCH", "/_worker/workers/w1", {}, h).status == 200);
  CHECK(c.request("PATCH", "/_worker/workers/w1", {}, h).status == 200);
  auto limited = c.request("PATCH", "/_worker/workers/w1", {}, h);
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "2");
  CHECK(limited.json().find("code")->as_string() == "LIMIT_EXCEEDED_ERROR");
  CHECK(c.request("PATCH", "/_worker/workers/w2", {},
                  worker_headers("w2", "token-w2"))
            .status
        == 200);
}

TEST_CASE("signatures are enforced when required") {
  auto o = default_options();
  o.signatures.required = true;
  o.signatures.secrets = {{"w1", "hmac-w1"}};
  listener_fixture fx{o};
  http_client c{fx.port()};
  auto h = worker_headers("w1", "token-w1");
  auto unsigned_hb = c.request("PATCH", "/_worker/workers/w1",
                               R"({"worker_id":"w1","status":"idle"})", h);
  CHECK(unsigned_hb.status == 401);
  heartbeat hb;
  hb.worker_id = "w1";
  hb.status = "idle";
  hb.timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  auto sig = sign_message(hb, "hmac-w1");
  REQUIRE(sig);
  hb.security = security_context{};
  hb.security->signature = *sig;
  auto body = encode(hb);
  CHECK(c.request("PATCH", "/_worker/workers/w1", body, h).status == 200);
  CHECK(c.request("PATCH", "/_worker/workers/w1", body, h).status == 401);
}

TEST_CASE("unknown routes get 404 with a JSON body") {
  listener_fixture fx;
  http_client c{fx.port()};
  auto r = c.request("GET", "/nowhere");
  CHECK(r.status == 404);
  CHECK(r.json().find("error")->as_string().find("/nowhere")
        != std::string::npos);
  CHECK(c.request("DELETE", "/_worker/tasks/result").status == 405);
}

TEST_CASE("a worker of another protocol version is served with a warning") {
  listener_fixture fx;
  http_client c{fx.port()};
  auto h = worker_headers("w1", "token-w1");
  h[2].second = "1.0b12";
  auto reg = c.request("POST", "/_worker/workers/register",
                       R"({"worker_id":"w1"})", h);
  CHECK(reg.status == 200);
  CHECK(reg.json().find("warning")->as_string().find("1.0b12")
        != std::string::npos);
  // PATCH on the register path is a heartbeat of worker "register".
  auto odd = c.request("PATCH", "/_worker/workers/register", {},
                       worker_headers("register", "global-secret"));
  CHECK(odd.status == 200);
  CHECK(fx.fake.snapshot().heartbeats.at(0).first == "register");
}

TEST_CASE("connections spread over several io threads are all served") {
  auto o = default_options();
  o.io_threads = 3;
  listener_fixture fx{o};
  auto h = worker_headers("w1", "token-w1");
  // Six keep-alive connections: two on each io thread's context, used in
  // turn so every thread answers several requests.
  std::vector<std::unique_ptr<http_client>> clients;
  for (int i = 0; i < 6; ++i)
    clients.push_back(std::make_unique<http_client>(fx.port()));
  for (int round = 0; round < 3; ++round)
    for (auto& c : clients) {
      auto hb = c->request("PATCH", "/_worker/workers/w1", {}, h);
      CHECK(hb.status == 200);
      CHECK(hb.header("x-rxon-version") == "1.0b13");
    }
  CHECK(fx.fake.snapshot().heartbeats.size() == 18);
}
