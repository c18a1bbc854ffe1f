#include "runtime/auth/sts_store.hpp"

#include <utility>

namespace rxon::runtime {

sts_store::sts_store(sts_options opts, wall_clock clock)
    : opts_(opts), clock_(std::move(clock)) {}

token_response sts_store::issue(const std::string& worker_id) {
  token_response out;
  out.access_token = random_token();
  out.refresh_token = random_token();
  out.expires_in = opts_.access_ttl.count();
  out.worker_id = worker_id;
  auto access_hash = sha256_hex(out.access_token);
  auto refresh_hash = sha256_hex(*out.refresh_token);
  auto now = clock_();
  std::lock_guard lock{mu_};
  // Amortised clean-up keeps memory bounded without a timer.
  if (++issued_since_sweep_ >= 1024) {
    sweep_locked(now);
    issued_since_sweep_ = 0;
  }
  access_[access_hash] = {worker_id, now + opts_.access_ttl, refresh_hash};
  refresh_[refresh_hash]
      = {worker_id, now + opts_.refresh_ttl, std::move(access_hash)};
  return out;
}

result<token_response> sts_store::refresh(std::string_view refresh_token,
                                          std::string_view worker_id_hint) {
  if (refresh_token.empty())
    return error{errc::auth, "refresh_token: missing"};
  auto hash = sha256_hex(refresh_token);
  std::string worker;
  {
    std::lock_guard lock{mu_};
    auto it = refresh_.find(hash);
    if (it == refresh_.end())
      return error{errc::auth, "refresh_token: unknown or revoked"};
    if (it->second.expires <= clock_()) {
      refresh_.erase(it);
      return error{errc::auth, "refresh_token: expired"};
    }
    if (!worker_id_hint.empty() && worker_id_hint != it->second.worker_id)
      return error{errc::forbidden,
                   "refresh_token belongs to another worker than '"
                       + std::string{worker_id_hint} + "'"};
    worker = it->second.worker_id;
    access_.erase(it->second.partner);
    refresh_.erase(it);
  }
  return issue(worker);
}

result<std::string> sts_store::verify_access(std::string_view access_token) {
  {
    // Nothing issued (deployments on static tokens): no hash to compute
    // for every request.
    std::lock_guard lock{mu_};
    if (access_.empty())
      return error{errc::auth, "invalid token"};
  }
  auto hash = sha256_hex(access_token);
  std::lock_guard lock{mu_};
  auto it = access_.find(hash);
  if (it == access_.end())
    return error{errc::auth, "invalid token"};
  if (it->second.expires <= clock_()) {
    access_.erase(it);
    return error{errc::auth, expired_message};
  }
  return it->second.worker_id;
}

std::size_t sts_store::size() const {
  std::lock_guard lock{mu_};
  return access_.size() + refresh_.size();
}

void sts_store::sweep_locked(std::chrono::system_clock::time_point now) {
  std::erase_if(access_,
                [&](const auto& kv) { return kv.second.expires <= now; });
  std::erase_if(refresh_,
                [&](const auto& kv) { return kv.second.expires <= now; });
}

} // namespace rxon::runtime
