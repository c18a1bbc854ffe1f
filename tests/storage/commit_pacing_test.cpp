#include "storage/commit_pacing.hpp"

#include <doctest/doctest.h>

using rxon::storage::commit_pacing;
using namespace std::chrono_literals;

TEST_CASE("commit pacing: loaded once commits take half the time") {
  commit_pacing p;
  CHECK_FALSE(p.loaded()); // nothing committed yet
  p.idled(900us);
  p.committed(100us);
  CHECK_FALSE(p.loaded()); // 10% busy
  p.committed(700us);
  CHECK_FALSE(p.loaded()); // 800 of 1700 us
  p.committed(200us);
  CHECK(p.loaded()); // 1000 of 1900 us
}

TEST_CASE("commit pacing: recent behaviour outweighs the old") {
  commit_pacing p;
  for (int i = 0; i < 200; ++i) // a second of back-to-back commits
    p.committed(5ms);
  CHECK(p.loaded());
  int idles = 0; // then the load drops: mostly waiting
  while (p.loaded() && idles < 1000) {
    p.idled(4ms);
    p.committed(1ms);
    ++idles;
  }
  CHECK_FALSE(p.loaded());
  CHECK(idles < 100); // within a few horizons, not a second's worth of them
}
