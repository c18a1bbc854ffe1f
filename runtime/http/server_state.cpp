#include "runtime/http/server_state.hpp"

#include <vector>

namespace rxon::runtime {

server_state::server_state(actors::orchestrator_api& api, listener_options opts,
                           server_clocks clocks)
    : opts_(std::move(opts)), auth_(opts_.auth, clocks.wall),
      limits_(opts_.rate_limits, clocks.mono),
      signatures_(opts_.signatures, clocks.wall),
      router_(api, auth_, limits_, signatures_, metrics_,
              router_options{opts_.max_poll_timeout, opts_.client_tokens}) {}

bool server_state::try_open_connection() {
  auto n = open_.fetch_add(1);
  if (n >= static_cast<int64_t>(opts_.max_connections)) {
    open_.fetch_sub(1);
    metrics_.connection_rejected();
    return false;
  }
  metrics_.connection_opened();
  return true;
}

void server_state::close_connection() {
  metrics_.connection_closed();
  if (open_.fetch_sub(1) == 1) {
    std::lock_guard lock{mu_};
    idle_.notify_all();
  }
}

bool server_state::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock{mu_};
  return idle_.wait_until(lock, deadline, [&] { return open_.load() == 0; });
}

uint64_t server_state::add(std::weak_ptr<connection> c) {
  std::lock_guard lock{mu_};
  auto id = next_id_++;
  connections_.emplace(id, std::move(c));
  return id;
}

void server_state::remove(uint64_t id) {
  std::lock_guard lock{mu_};
  connections_.erase(id);
}

void server_state::shutdown_all(bool force) {
  std::vector<std::shared_ptr<connection>> live;
  {
    std::lock_guard lock{mu_};
    for (auto& [id, weak] : connections_)
      if (auto c = weak.lock())
        live.push_back(std::move(c));
  }
  for (auto& c : live) // outside the lock: sessions call remove()
    force ? c->force_close() : c->shutdown();
}

void server_state::set_websocket(const std::string& worker_id, uint64_t id,
                                 std::weak_ptr<connection> c) {
  std::shared_ptr<connection> old;
  {
    std::lock_guard lock{mu_};
    auto& slot = websockets_[worker_id];
    if (slot.first != id)
      old = slot.second.lock();
    slot = {id, std::move(c)};
  }
  if (old)
    old->replace();
}

void server_state::clear_websocket(const std::string& worker_id, uint64_t id) {
  std::lock_guard lock{mu_};
  auto it = websockets_.find(worker_id);
  if (it != websockets_.end() && it->second.first == id)
    websockets_.erase(it);
}

} // namespace rxon::runtime
