#pragma once

// Short-lived STS credentials (spec §2.6, incumbent §1.9): random access and
// refresh tokens of which only SHA-256 hashes are kept. A refresh revokes
// the pair it came from.

#include "protocol/error.hpp"
#include "protocol/messages.hpp"
#include "runtime/auth/secrets.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rxon::runtime {

struct sts_options {
  std::chrono::seconds access_ttl{3600};
  std::chrono::seconds refresh_ttl{86400};
};

class sts_store {
public:
  explicit sts_store(sts_options opts = {},
                     wall_clock clock = system_wall_clock());

  /// Issues a fresh access + refresh pair for an authenticated worker.
  token_response issue(const std::string& worker_id);

  /// Trades a refresh token for a new pair and revokes the old pair.
  /// 401 (errc::auth) for an unknown or expired token; 403 when it belongs
  /// to another worker than `worker_id_hint` (when the hint is set).
  result<token_response> refresh(std::string_view refresh_token,
                                 std::string_view worker_id_hint);

  /// The message of the error for an expired access token.
  static constexpr const char* expired_message = "access token expired";

  /// The worker an access token belongs to; errc::auth when unknown or
  /// expired (then the message is expired_message).
  result<std::string> verify_access(std::string_view access_token);

  /// Number of live hashes kept (access + refresh), for tests and metrics.
  std::size_t size() const;

private:
  struct entry {
    std::string worker_id;
    std::chrono::system_clock::time_point expires;
    std::string partner; ///< hash of the other token of the pair
  };

  void sweep_locked(std::chrono::system_clock::time_point now);

  sts_options opts_;
  wall_clock clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, entry> access_;
  std::unordered_map<std::string, entry> refresh_;
  std::size_t issued_since_sweep_ = 0;
};

} // namespace rxon::runtime
