#include "runtime/auth/authenticator.hpp"

#include <utility>

namespace rxon::runtime {

namespace {

error forbidden_as(std::string_view who, std::string_view hint) {
  return error{errc::forbidden, "credentials of '" + std::string{who}
                                    + "' cannot act as worker '"
                                    + std::string{hint} + "'"};
}

} // namespace

result<auth_mode> parse_auth_mode(std::string_view text) {
  if (text == "mixed")
    return auth_mode::mixed;
  if (text == "mtls-only")
    return auth_mode::mtls_only;
  if (text == "token-only")
    return auth_mode::token_only;
  return error{errc::invalid_value,
               "auth mode: expected mixed, mtls-only or token-only, got '"
                   + std::string{text} + "'"};
}

authenticator::authenticator(auth_options opts, wall_clock clock)
    : opts_(std::move(opts)), sts_(opts_.sts, std::move(clock)) {
  if (opts_.mode == auth_mode::mtls_only) {
    // Static tokens are not even loaded in mtls-only mode.
    opts_.worker_tokens.clear();
    opts_.global_token.clear();
  }
}

result<identity> authenticator::authenticate(const credentials& c) {
  if (opts_.mode != auth_mode::token_only && !c.cert_identity.empty()) {
    if (!c.worker_id_hint.empty() && c.worker_id_hint != c.cert_identity)
      return forbidden_as(c.cert_identity, c.worker_id_hint);
    return identity{std::string{c.cert_identity}, auth_method::certificate};
  }
  if (c.token.empty()) {
    if (opts_.mode == auth_mode::mtls_only)
      return error{errc::auth,
                   "a client certificate or an STS token is required"};
    return error{errc::auth, "missing X-Worker-Token header"};
  }
  if (auto sts_worker = sts_.verify_access(c.token)) {
    if (!c.worker_id_hint.empty() && c.worker_id_hint != *sts_worker)
      return forbidden_as(*sts_worker, c.worker_id_hint);
    return identity{std::move(*sts_worker), auth_method::sts};
  } else if (sts_worker.error().message == sts_store::expired_message) {
    // An expired STS token must not fall through to static tokens: the
    // worker has to refresh (401).
    return std::move(sts_worker).error();
  }
  if (opts_.mode == auth_mode::mtls_only)
    return error{errc::auth,
                 "only client certificates and STS tokens are accepted"};
  bool is_global = !opts_.global_token.empty()
                   && constant_time_equal(c.token, opts_.global_token);
  if (!c.worker_id_hint.empty()) {
    auto own = opts_.worker_tokens.find(std::string{c.worker_id_hint});
    if (own != opts_.worker_tokens.end()) {
      if (constant_time_equal(c.token, own->second))
        return identity{own->first, auth_method::worker_token};
      if (is_global)
        return error{errc::forbidden, "the global token cannot act as worker '"
                                          + own->first
                                          + "', which has its own token"};
      return error{errc::auth, "invalid token for worker '" + own->first + "'"};
    }
  }
  if (is_global) {
    if (c.worker_id_hint.empty())
      return error{errc::auth, "the global token needs an X-Worker-ID header"};
    return identity{std::string{c.worker_id_hint}, auth_method::global};
  }
  if (c.worker_id_hint.empty()) {
    // A per-worker token without a hint: find its owner. Rare (b13 clients
    // always send X-Worker-ID), so a scan over the configured set is fine.
    for (const auto& [worker, token] : opts_.worker_tokens)
      if (constant_time_equal(c.token, token))
        return identity{worker, auth_method::worker_token};
  }
  return error{errc::auth, "invalid token"};
}

} // namespace rxon::runtime
