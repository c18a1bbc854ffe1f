// `rxon submit` against a real `rxon serve` and `rxon worker`.

#include "tests/support/cluster.hpp"

#include <doctest/doctest.h>

using namespace rxon;
using namespace rxon::test;

namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (auto nl = text.find('\n'); nl != std::string::npos;
       start = nl + 1, nl = text.find('\n', start))
    out.push_back(text.substr(start, nl - start));
  return out;
}

} // namespace

TEST_CASE("rxon submit --wait prints the result and its exit code reflects "
          "failure") {
  temp_dir dir;
  serve_process serve{dir.path()};
  REQUIRE(serve.ready());
  auto echo = start_worker(dir.path(), serve.url(), "w-echo", {"--echo"});
  auto fail
      = start_worker(dir.path(), serve.url(), "w-fail",
                     {"--skills", "fail", "--exec", "echo no >&2; exit 1"});
  REQUIRE(echo->wait_for_log("registered", 20s));
  REQUIRE(fail->wait_for_log("registered", 20s));

  std::optional<int> rc;
  auto ok = run_rxon(dir.path(), "submit-ok",
                     {"submit", "--url", serve.url(), "--token", client_token,
                      "--type", "echo", "--params", R"({"hello":"world"})",
                      "--priority", "5", "--wait", "--timeout-s", "20"},
                     rc);
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);
  auto out = lines(ok->out());
  REQUIRE(out.size() == 2);
  auto ack = json::parse(out[0]);
  REQUIRE(ack);
  CHECK(ack->find("job_id"));
  CHECK(ack->find("task_id"));
  auto view = json::parse(out[1]);
  REQUIRE(view);
  CHECK(view->find("state")->as_string() == "success");
  CHECK(*view->find("result") == json::value{json::object{{"hello", "world"}}});
  CHECK(view->find("priority")->as_double() == 5);

  auto failed = run_rxon(dir.path(), "submit-fail",
                         {"submit", "--url", serve.url(), "--token",
                          client_token, "--type", "fail", "--params", "{}",
                          "--wait", "--timeout-s", "20"},
                         rc);
  REQUIRE(rc.has_value());
  CHECK(*rc == 1);
  auto fout = lines(failed->out());
  REQUIRE(fout.size() == 2);
  auto fview = json::parse(fout[1]);
  REQUIRE(fview);
  CHECK(fview->find("state")->as_string() == "failure");
  CHECK(failed->err().find("ended failure") != std::string::npos);

  // Without --wait: only the ids, exit 0.
  auto quick = run_rxon(dir.path(), "submit-quick",
                        {"submit", "--url", serve.url(), "--token",
                         client_token, "--type", "echo", "--params", "{}"},
                        rc);
  CHECK(rc == std::optional<int>{0});
  CHECK(lines(quick->out()).size() == 1);
}

TEST_CASE("rxon submit reports bad JSON arguments with exit code 2") {
  temp_dir dir;
  std::optional<int> rc;
  auto bad = run_rxon(dir.path(), "bad-params",
                      {"submit", "--url", "http://127.0.0.1:1", "--token", "t",
                       "--type", "echo", "--params", "{\"a\":"},
                      rc);
  CHECK(rc == std::optional<int>{2});
  CHECK(bad->err().find("--params: invalid JSON") != std::string::npos);

  auto not_object
      = run_rxon(dir.path(), "bad-req",
                 {"submit", "--url", "http://127.0.0.1:1", "--token", "t",
                  "--type", "echo", "--params", "{}", "--requirements", "[1]"},
                 rc);
  CHECK(rc == std::optional<int>{2});
  CHECK(not_object->err().find("--requirements: expected a JSON object")
        != std::string::npos);

  auto missing = run_rxon(dir.path(), "no-type",
                          {"submit", "--url", "http://127.0.0.1:1", "--token",
                           "t", "--params", "{}"},
                          rc);
  CHECK(rc == std::optional<int>{2});
  CHECK(missing->err().find("--type: required") != std::string::npos);
}

TEST_CASE("rxon submit reports HTTP errors with the status and the server's "
          "text") {
  temp_dir dir;
  serve_process serve{dir.path()};
  REQUIRE(serve.ready());
  std::optional<int> rc;
  auto denied = run_rxon(dir.path(), "denied",
                         {"submit", "--url", serve.url(), "--token", "wrong",
                          "--type", "echo", "--params", "{}"},
                         rc);
  CHECK(rc == std::optional<int>{1});
  CHECK(denied->err().find("HTTP 401") != std::string::npos);
  CHECK(denied->err().find("invalid X-Client-Token") != std::string::npos);
  CHECK(denied->out().empty());

  auto rejected = run_rxon(dir.path(), "rejected",
                           {"submit", "--url", serve.url(), "--token",
                            client_token, "--type", "echo", "--params", "{}",
                            "--requirements", R"({"devices":[{}]})"},
                           rc);
  CHECK(rc == std::optional<int>{1});
  CHECK(rejected->err().find("HTTP 400") != std::string::npos);
  CHECK(rejected->err().find("requirements") != std::string::npos);

  auto unreachable
      = run_rxon(dir.path(), "unreachable",
                 {"submit", "--url", "http://127.0.0.1:1", "--token", "t",
                  "--type", "echo", "--params", "{}"},
                 rc);
  CHECK(rc == std::optional<int>{1});
  CHECK(unreachable->err().find("Network error") != std::string::npos);
}
