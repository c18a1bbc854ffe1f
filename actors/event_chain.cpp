#include "actors/event_chain.hpp"

#include <algorithm>
#include <unordered_set>

namespace rxon::actors {

namespace {

bool has_repeats(const std::vector<std::string>& xs) {
  std::unordered_set<std::string_view> seen;
  for (const auto& x : xs)
    if (!seen.insert(x).second)
      return true;
  return false;
}

} // namespace

bool append_relay(worker_event& ev, const std::string& sender) {
  if (sender == ev.origin_worker_id)
    return false;
  auto& chain = ev.bubbling_chain;
  if (chain && std::find(chain->begin(), chain->end(), sender) != chain->end())
    return false;
  if (!chain)
    chain.emplace();
  chain->push_back(sender);
  return true;
}

status check_chains(const worker_event& ev, const std::string& sender) {
  if (const auto& chain = ev.bubbling_chain) {
    if (has_repeats(*chain))
      return error{errc::invalid_value,
                   "bubbling_chain: a relay appears twice"};
    if (std::find(chain->begin(), chain->end(), ev.origin_worker_id)
        != chain->end())
      return error{errc::invalid_value,
                   "bubbling_chain: contains the origin worker '"
                       + ev.origin_worker_id + "'"};
  }
  return check_identity_chain(ev.security, sender);
}

status check_identity_chain(const boxed<security_context>& sec,
                            const std::string& sender) {
  if (sec && sec->identity_chain) {
    const auto& ids = *sec->identity_chain;
    if (ids.empty())
      return error{errc::invalid_value, "security.identity_chain: empty"};
    if (has_repeats(ids))
      return error{errc::invalid_value,
                   "security.identity_chain: a node appears twice"};
    if (ids.back() != sender)
      return error{errc::forbidden, "security.identity_chain: ends with '"
                                        + ids.back() + "', not the sender '"
                                        + sender + "'"};
  }
  return {};
}

} // namespace rxon::actors
