#pragma once

// Worker authentication (incumbent §1.1, with decisions.md status codes):
// mTLS certificate CN, STS access tokens, per-worker tokens and a global
// token. errc::auth (401) for missing/bad/expired credentials,
// errc::forbidden (403) for a valid credential used for another worker.

#include "protocol/error.hpp"
#include "runtime/auth/sts_store.hpp"

#include <map>
#include <string>
#include <string_view>

namespace rxon::runtime {

enum class auth_mode : uint8_t {
  mixed,      ///< certificates, STS, per-worker tokens, the global token
  mtls_only,  ///< certificates or STS tokens only
  token_only, ///< certificates ignored; a token is required
};

/// Parses "mixed", "mtls-only" or "token-only".
result<auth_mode> parse_auth_mode(std::string_view text);

struct auth_options {
  auth_mode mode = auth_mode::mixed;
  /// worker id -> its own static token.
  std::map<std::string, std::string> worker_tokens;
  /// Shared bootstrap token; empty disables it. It cannot claim a worker
  /// id that has its own token.
  std::string global_token;
  sts_options sts;
};

/// What a request presents. Empty views mean "absent".
struct credentials {
  std::string_view token;          ///< X-Worker-Token
  std::string_view worker_id_hint; ///< path id, else X-Worker-ID, else body
  std::string_view cert_identity;  ///< verified client certificate CN
};

enum class auth_method : uint8_t { certificate, sts, worker_token, global };

struct identity {
  std::string worker_id;
  auth_method method = auth_method::worker_token;
};

class authenticator {
public:
  explicit authenticator(auth_options opts,
                         wall_clock clock = system_wall_clock());

  result<identity> authenticate(const credentials& creds);

  sts_store& sts() noexcept { return sts_; }
  auth_mode mode() const noexcept { return opts_.mode; }

private:
  auth_options opts_;
  sts_store sts_;
};

} // namespace rxon::runtime
