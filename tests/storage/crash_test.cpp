// Durability for real: a forked child commits through a writer and reports
// each commit on a pipe; the parent kills it with SIGKILL mid-stream and
// checks that every acknowledged task survived intact.

#include "storage/writer.hpp"
#include "tests/storage/storage_support.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <poll.h>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

using namespace rxon;
using namespace rxon::storage;
using namespace rxon::storage::test;

namespace {

constexpr int tasks_per_batch = 20;

std::string task_id(int batch, int k) {
  return "t-" + std::to_string(batch) + "-" + std::to_string(k);
}

/// The record the child writes for `id`; the parent rebuilds it to compare.
task_record crash_task(const std::string& id) {
  auto t = make_task(id, "job-crash", task_state::running, 1700);
  t.params = json::object{{"id", id}, {"blob", std::string(200, 'p')}};
  return t;
}

/// The child: commits batches until killed (bounded, in case it is not).
[[noreturn]] void run_child(const std::string& path, int out_fd) {
  auto st = open_sqlite_store({path});
  if (!st)
    ::_exit(2);
  {
    writer w{std::move(*st), {.max_delay = std::chrono::microseconds{500}}};
    w.submit({.jobs = {make_job("job-crash")}});
    for (int b = 0; b < 100'000; ++b) {
      change_batch batch;
      std::string line;
      for (int k = 0; k < tasks_per_batch; ++k) {
        auto id = task_id(b, k);
        batch.tasks.push_back(crash_task(id));
        line += id + ' ';
      }
      line.back() = '\n';
      w.submit(std::move(batch), [out_fd, line](const status& s) {
        // Acknowledge only what is committed; one write() stays atomic.
        if (s && ::write(out_fd, line.data(), line.size()) < 0)
          ::_exit(3);
      });
      if (b % 8 == 7)
        w.flush(); // keep the queue short
    }
  }
  ::_exit(0);
}

} // namespace

TEST_CASE("tasks acknowledged before a SIGKILL survive it intact") {
  temp_dir dir;
  REQUIRE(dir.ok());
  auto path = dir.file("crash.db");
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    run_child(path, fds[1]);
  }
  ::close(fds[1]);

  // Read acknowledgements until enough arrived (or a deadline passed).
  std::set<std::string> acked;
  std::string pending;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (acked.size() < 200 * tasks_per_batch
         && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    char buf[4096];
    auto n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0)
      break; // the child ended (it should not before the kill)
    pending.append(buf, static_cast<std::size_t>(n));
    for (auto nl = pending.find('\n'); nl != std::string::npos;
         nl = pending.find('\n')) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      for (std::size_t pos = 0; pos < line.size();) {
        auto sp = line.find(' ', pos);
        if (sp == std::string::npos)
          sp = line.size();
        acked.insert(line.substr(pos, sp - pos));
        pos = sp + 1;
      }
    }
  }
  REQUIRE(::kill(pid, SIGKILL) == 0);
  int wstatus = 0;
  REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
  ::close(fds[0]);
  CHECK(WIFSIGNALED(wstatus));
  REQUIRE(acked.size() >= 200 * tasks_per_batch);

  auto st = open_sqlite_store({path});
  REQUIRE(st.has_value());
  int intact = 0;
  for (const auto& id : acked) {
    auto got = (*st)->task(id);
    REQUIRE(got.has_value());
    if (got->has_value() && **got == crash_task(id))
      ++intact;
    else
      FAIL_CHECK("acknowledged task lost or changed: " << id);
  }
  CHECK(intact == static_cast<int>(acked.size()));
  MESSAGE("acknowledged and intact after SIGKILL: ", intact);
}
