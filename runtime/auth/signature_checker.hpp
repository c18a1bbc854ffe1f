#pragma once

// Optional zero-trust check of signed worker messages (incumbent §1.2, with
// decisions.md): HMAC-SHA256 with the worker's secret over the canonical
// JSON, a timestamp within the allowed skew, and a replay cache of
// (signer, signature) pairs.

#include "protocol/error.hpp"
#include "protocol/json.hpp"
#include "runtime/auth/secrets.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>

namespace rxon::runtime {

struct signature_options {
  bool required = false;
  /// worker id -> HMAC secret.
  std::map<std::string, std::string> secrets;
  std::chrono::seconds max_skew{60};
};

class signature_checker {
public:
  explicit signature_checker(signature_options opts = {},
                             wall_clock clock = system_wall_clock());

  bool required() const noexcept { return opts_.required; }

  /// Checks `payload` sent by the authenticated `worker_id`. Always ok when
  /// signatures are not required; errc::invalid_signature otherwise.
  status check(std::string_view worker_id, const json::value& payload,
               std::span<const std::string_view> ignore_fields = {});

private:
  void remember_locked(std::string key,
                       std::chrono::system_clock::time_point now);

  signature_options opts_;
  wall_clock clock_;
  std::mutex mu_;
  std::unordered_set<std::string> seen_;
  std::deque<std::pair<std::chrono::system_clock::time_point, std::string>>
      seen_order_;
};

} // namespace rxon::runtime
