#include "actors/thread_policy.hpp"

#include <sched.h>

namespace rxon::actors {

bool use_batch_scheduling() noexcept {
#ifdef SCHED_BATCH
  sched_param p{};
  p.sched_priority = 0;
  // pid 0: the calling thread (Linux schedules threads, not processes).
  return sched_setscheduler(0, SCHED_BATCH, &p) == 0;
#else
  return false;
#endif
}

bool runs_batch_scheduling() noexcept {
#ifdef SCHED_BATCH
  return sched_getscheduler(0) == SCHED_BATCH;
#else
  return false;
#endif
}

} // namespace rxon::actors
