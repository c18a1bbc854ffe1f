#pragma once

#include "actors/actor_types.hpp"

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace rxon::actors {

/// Restart policy of a parent for its child holon actors.
struct supervision_policy {
  int max_restarts = 3; ///< within the window, then removed
  int64_t restart_window_ms = 60'000;
};

struct holon_options {
  int64_t ttl_ms = 0;       ///< 0: never lapses (the root)
  int64_t child_ttl_ms = 0; ///< TTL of the holons this one supervises
  std::function<int64_t()> clock;
  supervision_policy policy;
};

struct holon_state {
  static inline const char* name = "rxon.holon";

  struct child {
    holon_actor handle;
    /// Shared with identically registered siblings: worker_id is empty
    /// (the key of `children` is the id).
    std::shared_ptr<const worker_registration> reg;
    int restarts = 0;
    int64_t window_start_ms = 0;
  };

  std::string id;
  std::shared_ptr<const worker_registration> reg;
  holon_options opts;
  dispatcher_actor dispatcher;
  caf::actor_addr parent; ///< whose exit ends this holon
  int64_t last_seen_ms = 0;
  /// What only a holon with children needs; most holons are leaves, so
  /// it is allocated with the first child (saves ~160 bytes per leaf).
  struct family {
    std::unordered_map<std::string, child> children;
    /// child actor address -> child id, for down messages
    std::unordered_map<caf::actor_addr, std::string> child_ids;
    /// Registrations without their worker_id, by content hash: a fleet of
    /// identical workers keeps one copy instead of one per holon.
    std::unordered_map<std::size_t,
                       std::vector<std::weak_ptr<const worker_registration>>>
        shared_regs;
  };
  std::unique_ptr<family> fam;

  family& kids() {
    if (!fam)
      fam = std::make_unique<family>();
    return *fam;
  }
};

/// The reason a holon actor exits when its heartbeat TTL lapses.
caf::error holon_lost_reason();

/// Behaviour of a holon actor. `reg` is null for the root (this
/// orchestrator itself), which never lapses. `parent` is the actor whose
/// exit ends this holon and its subtree.
holon_actor::behavior_type
holon(holon_actor::stateful_pointer<holon_state> self, std::string id,
      std::shared_ptr<const worker_registration> reg, holon_options opts,
      dispatcher_actor dispatcher, caf::actor_addr parent);

} // namespace rxon::actors
