#pragma once

// The real runtime in-process: actors::orchestrator on a SQLite file in a
// fresh temp directory plus runtime::server on 127.0.0.1 (ephemeral port).
// Worker tokens w1/w2, a global token, clients "alice" and "bob".

#include "actors/orchestrator.hpp"
#include "runtime/http/server.hpp"
#include "tests/runtime/support/test_client.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

namespace rxon::test {

inline runtime::listener_options e2e_listener_options() {
  runtime::listener_options o;
  o.auth.worker_tokens = {{"w1", "token-w1"}, {"w2", "token-w2"}};
  o.auth.global_token = "global-secret";
  o.client_tokens = {{"alice-token", "alice"}, {"bob-token", "bob"}};
  o.max_poll_timeout = std::chrono::milliseconds{2000};
  o.grace_period = std::chrono::milliseconds{1000};
  o.max_body_bytes = 256u << 10;
  return o;
}

struct e2e_fixture {
  temp_dir dir;
  std::string db;
  std::unique_ptr<actors::orchestrator> orch;
  std::unique_ptr<runtime::server> srv;

  explicit e2e_fixture(runtime::listener_options o = e2e_listener_options()) {
    db = (dir.path() / "rxon.db").string();
    actors::orchestrator_options oo;
    oo.db_path = db;
    oo.dispatch.max_poll_ms = 2000;
    auto started = actors::orchestrator::start(std::move(oo));
    REQUIRE_MESSAGE(started.has_value(),
                    (started ? "" : started.error().message));
    orch = std::move(*started);
    srv = std::make_unique<runtime::server>(*orch, std::move(o));
    auto ok = srv->start();
    REQUIRE_MESSAGE(ok.has_value(), (ok ? "" : ok.error().message));
  }
  ~e2e_fixture() {
    srv->stop();
    orch.reset();
  }
  uint16_t port() const { return srv->port(); }
};

inline header_list worker(const std::string& id) {
  return {{"X-Worker-ID", id},
          {"X-Worker-Token", "token-" + id},
          {"X-RXON-Version", "1.0b13"}};
}

inline header_list client(const std::string& name = "alice") {
  return {{"X-Client-Token", name + "-token"}};
}

inline std::string registration_body(const std::string& id) {
  return R"({"worker_id":")" + id
         + R"(","worker_type":"cpu","supported_skills":[{"name":"resize"}]})";
}

inline std::string result_body(const std::string& worker,
                               const std::string& job,
                               const std::string& task) {
  return R"({"data":{"ok":true},"job_id":")" + job + R"(","status":"success",)"
         + R"("task_id":")" + task + R"(","worker_id":")" + worker + R"("})";
}

/// A job body of `n` tasks of type `type`.
inline std::string job_body(int n, const std::string& type = "resize") {
  std::string body = R"({"metadata":{"suite":"e2e"},"tasks":[)";
  for (int i = 0; i < n; ++i) {
    if (i)
      body += ',';
    body += R"({"type":")" + type + R"(","params":{"i":)" + std::to_string(i)
            + "}}";
  }
  return body + "]}";
}

/// The string member `key` of a JSON reply, or "" when absent.
inline std::string str(const json::value& v, const char* key) {
  if (!v.is_object())
    return {};
  const auto* m = v.find(key);
  return m && m->is_string() ? m->as_string() : std::string{};
}

/// Waits (bounded) until `pred` holds; returns whether it did.
template <class Pred>
bool within(std::chrono::milliseconds timeout, Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return pred();
}

} // namespace rxon::test
