#pragma once

// Small factories shared by the transport tests.

#include "runtime/transport/transport.hpp"
#include "tests/support/loopback_server.hpp"

#include <string>

namespace rxon::test {

inline server_response reply(int status, std::string body = "",
                             std::string content_type = "application/json") {
  server_response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

inline server_response drop_reply() {
  server_response r;
  r.drop = true;
  return r;
}

inline worker_registration reg_of(std::string id) {
  worker_registration r;
  r.worker_id = std::move(id);
  return r;
}

inline heartbeat hb_of(std::string id, std::string status) {
  heartbeat h;
  h.worker_id = std::move(id);
  h.status = std::move(status);
  return h;
}

inline runtime::poll_request poll_for(double seconds) {
  runtime::poll_request p;
  p.timeout = seconds;
  return p;
}

inline task_payload task_of(std::string job, std::string task,
                            std::string type) {
  task_payload t;
  t.job_id = std::move(job);
  t.task_id = std::move(task);
  t.type = std::move(type);
  return t;
}

inline worker_command cmd_of(std::string name) {
  worker_command c;
  c.command = std::move(name);
  return c;
}

inline task_result make_result() {
  task_result r;
  r.job_id = "j1";
  r.task_id = "t1";
  return r;
}

} // namespace rxon::test
