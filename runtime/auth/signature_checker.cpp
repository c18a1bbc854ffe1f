#include "runtime/auth/signature_checker.hpp"

#include "protocol/signing.hpp"

#include <cmath>
#include <utility>

namespace rxon::runtime {

namespace {

error bad(std::string msg) {
  return error{errc::invalid_signature, std::move(msg)};
}

} // namespace

signature_checker::signature_checker(signature_options opts, wall_clock clock)
    : opts_(std::move(opts)), clock_(std::move(clock)) {}

status signature_checker::check(std::string_view worker_id,
                                const json::value& payload,
                                std::span<const std::string_view> ignore) {
  if (!opts_.required)
    return {};
  auto secret = opts_.secrets.find(std::string{worker_id});
  if (secret == opts_.secrets.end() || secret->second.empty())
    return bad("no signing secret is configured for worker '"
               + std::string{worker_id} + "'");
  const json::value* ts = payload.find("timestamp");
  if (!ts || ts->is_null())
    return bad("timestamp: missing (signed messages need one)");
  if (!ts->is_number() || ts->is_bool())
    return bad("timestamp: expected a number");
  auto now = clock_();
  double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  if (!(std::fabs(ts->as_double() - now_s)
        <= static_cast<double>(opts_.max_skew.count())))
    return bad("timestamp: more than " + std::to_string(opts_.max_skew.count())
               + " s away from the server clock");
  const json::value* sec = payload.find("security");
  const json::value* sig = sec ? sec->find("signature") : nullptr;
  if (!sig || !sig->is_string() || sig->as_string().empty())
    return bad("security.signature: missing");
  if (const json::value* signer = sec->find("signer_id");
      signer && !signer->is_null()
      && (!signer->is_string() || signer->as_string() != worker_id))
    return bad("security.signer_id: does not match the authenticated worker");
  if (!verify_signature(payload, sig->as_string(), secret->second, ignore))
    return bad("security.signature: does not match the payload");
  std::string key = std::string{worker_id} + '\n' + sig->as_string();
  std::lock_guard lock{mu_};
  if (seen_.contains(key))
    return bad("security.signature: replayed message");
  remember_locked(std::move(key), now);
  return {};
}

void signature_checker::remember_locked(
    std::string key, std::chrono::system_clock::time_point now) {
  // A signature older than twice the skew can no longer pass the timestamp
  // check, so it can leave the cache.
  auto horizon = now - 2 * opts_.max_skew;
  while (!seen_order_.empty() && seen_order_.front().first < horizon) {
    seen_.erase(seen_order_.front().second);
    seen_order_.pop_front();
  }
  seen_.insert(key);
  seen_order_.emplace_back(now, std::move(key));
}

} // namespace rxon::runtime
