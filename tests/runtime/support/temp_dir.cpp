#include "tests/runtime/support/e2e_fixture.hpp"

#include <cstdlib>
#include <unistd.h>

namespace rxon::test {

temp_dir::temp_dir() {
  auto pattern
      = (std::filesystem::temp_directory_path() / "rxon-e2e-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    FAIL("mkdtemp failed for " << pattern);
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

} // namespace rxon::test
