#include "actors/memory_policy.hpp"

#include <sys/prctl.h>

namespace rxon::actors {

bool use_huge_pages(bool allow) noexcept {
#ifdef PR_SET_THP_DISABLE
  return prctl(PR_SET_THP_DISABLE, allow ? 0 : 1, 0, 0, 0) == 0;
#else
  (void)allow;
  return false;
#endif
}

bool uses_huge_pages() noexcept {
#ifdef PR_GET_THP_DISABLE
  // Negative where the kernel lacks the setting: nothing forbids them.
  return prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) <= 0;
#else
  return true;
#endif
}

} // namespace rxon::actors
