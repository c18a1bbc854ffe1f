#include "runtime/simulate/keep_freed_pages.hpp"

#include <cstddef>
#include <cstdio>
#include <dlfcn.h>
#include <initializer_list>
#include <sys/types.h>

namespace rxon::runtime::simulate {

void keep_freed_pages() noexcept {
  // Looked up at run time: the libraries do not link jemalloc, only the
  // executable does.
  using mallctl_fn
      = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
  auto* mallctl = reinterpret_cast<mallctl_fn>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (!mallctl)
    return;
  ssize_t never = -1; // decay time in ms; -1: never purge
  auto set = [&](const char* name) {
    (void)mallctl(name, nullptr, nullptr, &never, sizeof never);
  };
  // Arenas made from now on, then each existing one.
  set("arenas.dirty_decay_ms");
  set("arenas.muzzy_decay_ms");
  unsigned arenas = 0;
  std::size_t size = sizeof arenas;
  if (mallctl("arenas.narenas", &arenas, &size, nullptr, 0) != 0)
    return;
  char name[64];
  for (unsigned i = 0; i < arenas; ++i)
    for (const char* what : {"dirty", "muzzy"}) {
      std::snprintf(name, sizeof name, "arena.%u.%s_decay_ms", i, what);
      set(name);
    }
}

} // namespace rxon::runtime::simulate
