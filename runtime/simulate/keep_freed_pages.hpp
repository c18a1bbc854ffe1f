#pragma once

namespace rxon::runtime::simulate {

/// When the process runs on jemalloc (the rxon executable does), stops it
/// from handing freed pages back to the kernel for the rest of the run:
/// a simulation frees and allocates millions of tasks, and every page
/// returned was zeroed again by the kernel when it came back. Under glibc
/// malloc or a sanitizer's allocator nothing changes.
void keep_freed_pages() noexcept;

} // namespace rxon::runtime::simulate
