#include "actors/holon_actor.hpp"

#include "protocol/codec.hpp"

#include <caf/all.hpp>

#include <chrono>

namespace rxon::actors {

namespace {

using self_ptr = holon_actor::stateful_pointer<holon_state>;

/// Up to this many distinct registrations among a parent's children are
/// compared directly instead of through a hash of their JSON.
constexpr std::size_t small_fleet = 8;

void schedule_ttl(self_ptr self, int64_t in_ms) {
  self->delayed_send(self,
                     std::chrono::milliseconds(std::max<int64_t>(in_ms, 1)),
                     ttl_atom::value);
}

void spawn_or_update(self_ptr self, worker_registration reg, uint64_t request,
                     bool restarted);

/// `reg` without its worker_id, shared with every child that registered
/// the same content (expired entries are dropped on the way). `reg` is
/// only borrowed: its worker_id is set aside while comparing.
std::shared_ptr<const worker_registration>
share_registration(holon_state& st, worker_registration& reg) {
  auto& fam = st.kids();
  auto id = std::move(reg.worker_id);
  reg.worker_id.clear();
  std::shared_ptr<const worker_registration> found;
  // A fleet has few distinct registrations per parent: compare with them
  // before encoding the content as a hash key.
  if (fam.shared_regs.size() <= small_fleet)
    for (const auto& [key, list] : fam.shared_regs) {
      for (const auto& w : list)
        if (auto p = w.lock(); p && *p == reg) {
          found = std::move(p);
          break;
        }
      if (found)
        break;
    }
  if (!found) {
    auto key = std::hash<std::string>{}(json::to_string(to_json(reg)));
    auto& candidates = fam.shared_regs[key];
    std::erase_if(candidates, [](const auto& w) { return w.expired(); });
    for (const auto& w : candidates)
      if (auto p = w.lock(); p && *p == reg) {
        found = std::move(p);
        break;
      }
    if (!found) {
      found = std::make_shared<const worker_registration>(reg);
      candidates.push_back(found);
    }
  }
  reg.worker_id = std::move(id);
  return found;
}

// A child holon went down: lost (TTL) or removed means gone; anything else
// is a failure: restart it within the policy's budget, else remove it.
void on_child_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto id_it = st.kids().child_ids.find(msg.source);
  if (id_it == st.kids().child_ids.end())
    return;
  auto id = id_it->second;
  st.kids().child_ids.erase(id_it);
  auto c = st.kids().children.find(id);
  if (c == st.kids().children.end())
    return;
  bool lost = msg.reason == holon_lost_reason();
  bool orderly = !msg.reason || msg.reason == caf::exit_reason::user_shutdown;
  if (lost || orderly) {
    st.kids().children.erase(c);
    if (lost)
      self->send(st.dispatcher, down_atom::value, id, true);
    return;
  }
  auto now = st.opts.clock();
  auto& ch = c->second;
  if (now - ch.window_start_ms > st.opts.policy.restart_window_ms) {
    ch.window_start_ms = now;
    ch.restarts = 0;
  }
  if (++ch.restarts > st.opts.policy.max_restarts) {
    st.kids().children.erase(c);
    self->send(st.dispatcher, down_atom::value, id, false);
    return;
  }
  auto reg = *ch.reg;
  reg.worker_id = id;
  st.kids().children.erase(c);
  spawn_or_update(self, std::move(reg), 0, true);
}

void spawn_or_update(self_ptr self, worker_registration reg, uint64_t request,
                     bool restarted) {
  auto& st = self->state;
  auto shared = share_registration(st, reg);
  auto existing = st.kids().children.find(reg.worker_id);
  if (existing != st.kids().children.end()) {
    existing->second.reg = shared;
    self->send(existing->second.handle, reg);
    self->send(st.dispatcher, holon_up_msg{std::move(reg), st.id,
                                           caf::actor_cast<caf::actor>(
                                               existing->second.handle),
                                           false, request});
    return;
  }
  holon_options child_opts = st.opts;
  child_opts.ttl_ms = st.opts.child_ttl_ms;
  // Linked: children die with their parent (a lost sub-orchestrator takes
  // its subtree along); monitored: the parent decides about restarts.
  auto child = self->spawn<caf::linked + caf::monitored>(
      holon, reg.worker_id, shared, child_opts, st.dispatcher, self->address());
  holon_state::child entry{child, shared, 0, st.opts.clock()};
  if (restarted)
    entry.restarts = 1;
  st.kids().child_ids.emplace(child.address(), reg.worker_id);
  st.kids().children.emplace(reg.worker_id, std::move(entry));
  self->send(st.dispatcher, holon_up_msg{std::move(reg), st.id,
                                         caf::actor_cast<caf::actor>(child),
                                         restarted, request});
}

} // namespace

caf::error holon_lost_reason() {
  return caf::make_error(caf::sec::request_timeout, "heartbeat TTL lapsed");
}

holon_actor::behavior_type
holon(holon_actor::stateful_pointer<holon_state> self, std::string id,
      std::shared_ptr<const worker_registration> reg, holon_options opts,
      dispatcher_actor dispatcher, caf::actor_addr parent) {
  auto& st = self->state;
  st.parent = std::move(parent);
  st.id = std::move(id);
  st.reg = std::move(reg);
  st.opts = std::move(opts);
  st.dispatcher = std::move(dispatcher);
  st.last_seen_ms = st.opts.clock();
  if (st.opts.ttl_ms > 0)
    schedule_ttl(self, st.opts.ttl_ms);
  self->set_down_handler(
      [self](const caf::down_msg& msg) { on_child_down(self, msg); });
  // Exits from children are handled by the down handler (restart policy);
  // the parent's exit ends this holon and, through links, its subtree.
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    if (msg.source == self->state.parent)
      self->quit(msg.reason);
  });
  return {
      [self](touch_atom) {
        self->state.last_seen_ms = self->state.opts.clock();
      },
      [self](ttl_atom) {
        auto& s = self->state;
        auto idle = s.opts.clock() - s.last_seen_ms;
        if (idle >= s.opts.ttl_ms) {
          self->quit(holon_lost_reason());
          return;
        }
        schedule_ttl(self, s.opts.ttl_ms - idle);
      },
      [self](spawn_child_msg& msg) {
        spawn_or_update(self, std::move(msg.reg), msg.request, false);
      },
      [self](crash_atom) {
        // Fault injection: fail as a crashing holon would. Not exit_reason::
        // kill, which would also take down the linked parent chain.
        self->quit(caf::make_error(caf::sec::runtime_error, "crash injected"));
      },
      [self](worker_registration& reg) {
        self->state.reg
            = std::make_shared<const worker_registration>(std::move(reg));
        self->state.last_seen_ms = self->state.opts.clock();
      },
  };
}

} // namespace rxon::actors
