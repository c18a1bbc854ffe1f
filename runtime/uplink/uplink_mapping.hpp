#pragma once

// The pure half of the uplink: how the local subtree is advertised to the
// parent, how a pulled task becomes a local job, and how local outcomes
// and events go back up with the parent's ids.

#include "actors/dispatch_types.hpp"
#include "actors/orchestrator_api.hpp"
#include "actors/subtree.hpp"
#include "protocol/error.hpp"
#include "protocol/messages.hpp"

#include <optional>
#include <string>

namespace rxon::runtime {

/// The job metadata key under which a local job keeps its parent's ids.
inline constexpr const char* uplink_metadata_key = "rxon.uplink";

/// Where a local task came from at the parent.
struct parent_ref {
  std::string job_id;
  std::string task_id;
};

/// The registration of this orchestrator at its parent: worker_type
/// "orchestrator", the union of its subtree's skills, its profiles and
/// capacity in capabilities.extra (actors/subtree.hpp), and `skills_hash`.
worker_registration uplink_registration(const std::string& id,
                                        const actors::subtree_view& subtree);

/// A hash of what the registration advertises; it changes whenever the
/// subtree's skills, profiles or capacity change.
std::string subtree_hash(const actors::subtree_view& subtree);

/// The local job running a task pulled from the parent: one task, one
/// attempt (the parent retries), the parent's requirements from the
/// payload metadata when the parent is ours. Malformed requirements are an
/// error naming the field.
result<actors::job_spec> local_job(const task_payload& task,
                                   const std::string& owner);

/// The parent ids kept in a local job's metadata, if any.
std::optional<parent_ref> parent_of(const json::value& job_metadata);

/// The result to post upward for a finished local task; origin_worker_id
/// names the leaf that ran it. Nothing for a cancelled task.
std::optional<task_result> upward_result(const storage::task_record& task,
                                         const parent_ref& parent,
                                         const std::string& self_id);

/// A transient RESOURCE_EXHAUSTED_ERROR failure: the parent retries the
/// task elsewhere.
task_result exhausted(const parent_ref& parent, const std::string& self_id,
                      std::string why);

/// A local event relayed upward: the parent's ids as targets, this
/// orchestrator appended to bubbling_chain and to the identity chain,
/// origin fields kept. The original signature cannot travel (it was made
/// with the leaf's secret), so it is dropped.
worker_event upward_event(const worker_event& ev, const parent_ref& parent,
                          const std::string& self_id);

} // namespace rxon::runtime
