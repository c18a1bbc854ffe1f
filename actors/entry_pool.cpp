#include "actors/entry_pool.hpp"

#include <sys/mman.h>

namespace rxon::actors::detail {

void* map_chunk(std::size_t bytes) {
  // Twice the size, trimmed to an aligned chunk: an entry finds its chunk's
  // header by masking its address.
  void* m = mmap(nullptr, 2 * bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    throw std::bad_alloc{};
  auto base = reinterpret_cast<uintptr_t>(m);
  auto start = (base + bytes - 1) & ~(uintptr_t{bytes} - 1);
  if (start > base)
    munmap(m, start - base);
  if (auto tail = start + bytes; tail < base + 2 * bytes)
    munmap(reinterpret_cast<void*>(tail), base + 2 * bytes - tail);
  auto* chunk = reinterpret_cast<void*>(start);
  // Small pages even where THP is "always" (see entry_pool.hpp); a kernel
  // without THP refuses the advice, which changes nothing then.
  (void)madvise(chunk, bytes, MADV_NOHUGEPAGE);
#ifdef MADV_POPULATE_WRITE
  // Faulted in by one call instead of a trap per page as entries fill it
  // (Linux 5.14+; older kernels refuse it and the pages fault lazily).
  (void)madvise(chunk, bytes, MADV_POPULATE_WRITE);
#endif
  return chunk;
}

void unmap_chunk(void* chunk, std::size_t bytes) noexcept {
  munmap(chunk, bytes);
}

} // namespace rxon::actors::detail
