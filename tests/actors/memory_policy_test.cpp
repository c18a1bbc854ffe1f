// The process's huge-page setting (actors/memory_policy.hpp), against the
// kernel's own account of a mapping. doctest_discover_tests runs each case
// in a process of its own, so the setting does not leak into other cases.

#include "actors/memory_policy.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/mman.h>

using namespace rxon::actors;

namespace {

constexpr std::size_t huge = 2u << 20; // x86-64's transparent huge page

/// An anonymous mapping of `n` huge pages, aligned to a huge page and
/// advised for them (as jemalloc's thp:always does), every byte touched.
struct advised_region {
  void* base = nullptr;
  char* at = nullptr;
  std::size_t size = 0;
  explicit advised_region(std::size_t n) : size(n * huge) {
    base = mmap(nullptr, size + huge, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(base != MAP_FAILED);
    auto p = reinterpret_cast<uintptr_t>(base);
    at = reinterpret_cast<char*>((p + huge - 1) & ~(uintptr_t{huge} - 1));
    (void)madvise(at, size, MADV_HUGEPAGE);
    std::memset(at, 1, size);
  }
  ~advised_region() { munmap(base, size + huge); }

  /// AnonHugePages of the mapping that holds the region, in kB; -1 when
  /// /proc/self/smaps does not show it (no THP in the kernel).
  long huge_kb() const {
    std::ifstream smaps{"/proc/self/smaps"};
    std::string line;
    bool inside = false;
    auto want = reinterpret_cast<uintptr_t>(at);
    while (std::getline(smaps, line)) {
      uintptr_t lo = 0, hi = 0;
      char dash = 0;
      std::istringstream head{line};
      if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
        inside = lo <= want && want < hi;
        continue;
      }
      if (inside && line.rfind("AnonHugePages:", 0) == 0)
        return std::stol(line.substr(std::strlen("AnonHugePages:")));
    }
    return -1;
  }
};

bool kernel_has_thp() {
  return std::ifstream{"/sys/kernel/mm/transparent_hugepage/enabled"}.good();
}

} // namespace

TEST_CASE("forbidding huge pages keeps advised memory on small pages") {
  REQUIRE(use_huge_pages(false));
  CHECK_FALSE(uses_huge_pages());
  advised_region r{4};
  // A kernel without transparent huge pages shows no count at all.
  CHECK(r.huge_kb() == (kernel_has_thp() ? 0 : -1));
}

TEST_CASE("huge pages can be allowed again") {
  REQUIRE(use_huge_pages(false));
  REQUIRE(use_huge_pages(true));
  CHECK(uses_huge_pages());
  // Whether the kernel then hands out huge pages depends on its mode and
  // on free memory, so the count is reported, not checked.
  advised_region r{4};
  MESSAGE("AnonHugePages of an advised 8 MiB region: " << r.huge_kb() << " kB");
}
