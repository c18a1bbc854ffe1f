#pragma once

// A listener on 127.0.0.1 (ephemeral port) over the fake orchestrator,
// with worker tokens w1/w2, a global token and a client token.

#include "runtime/http/server.hpp"
#include "tests/runtime/support/fake_orchestrator.hpp"
#include "tests/runtime/support/test_client.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace rxon::test {

inline runtime::listener_options default_options() {
  runtime::listener_options o;
  o.auth.worker_tokens = {{"w1", "token-w1"}, {"w2", "token-w2"}};
  o.auth.global_token = "global-secret";
  o.client_tokens = {{"client-token", "client-a"}};
  o.max_poll_timeout = std::chrono::milliseconds{2000};
  o.grace_period = std::chrono::milliseconds{1000};
  return o;
}

struct listener_fixture {
  fake_orchestrator fake;
  std::unique_ptr<runtime::server> srv;

  explicit listener_fixture(runtime::listener_options o = default_options(),
                            runtime::server_clocks clocks = {}) {
    srv = std::make_unique<runtime::server>(fake, std::move(o),
                                            std::move(clocks));
    auto ok = srv->start();
    REQUIRE_MESSAGE(ok.has_value(), (ok ? "" : ok.error().message));
  }
  ~listener_fixture() { srv->stop(); }

  uint16_t port() const { return srv->port(); }
};

inline header_list worker_headers(const std::string& id,
                                  const std::string& token) {
  return {{"X-Worker-ID", id},
          {"X-Worker-Token", token},
          {"X-RXON-Version", "1.0b13"}};
}

inline header_list client_headers() {
  return {{"X-Client-Token", "client-token"}};
}

/// Waits (bounded) until `pred` holds; returns whether it did.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

inline task_payload make_task(const std::string& id,
                              const std::string& type = "resize") {
  task_payload t;
  t.job_id = "job-" + id;
  t.task_id = id;
  t.type = type;
  t.params = json::object{{"width", 640}};
  return t;
}

} // namespace rxon::test
