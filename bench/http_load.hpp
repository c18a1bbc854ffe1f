#pragma once

// A lean HTTP/1.1 load generator (Asio, one thread): C keep-alive worker
// connections that each loop GET next-task then POST result, as a
// reference worker does, recording the latency of every poll.

#include <cstdint>
#include <string>
#include <vector>

namespace rxon::bench {

struct load_options {
  uint16_t port = 0;
  int connections = 32;
  double seconds = 5;
  std::string token;                   ///< X-Worker-Token
  std::vector<std::string> worker_ids; ///< one per connection
};

struct load_figures {
  uint64_t tasks = 0;     ///< results answered with 200
  uint64_t errors = 0;    ///< failed connections or unexpected statuses
  double seconds = 0;     ///< until the deadline or the queue ran dry
  bool exhausted = false; ///< a poll found no task (204)
  std::vector<float> poll_us;
};

load_figures run_load(const load_options& opts);

} // namespace rxon::bench
