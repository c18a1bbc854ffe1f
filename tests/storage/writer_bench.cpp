// Group-commit throughput of the writer on a SQLite file: task upserts per
// second, then writer CPU per task for the put/assigned/success lifecycle.
// Prints figures; asserts nothing about time.
//   build/tests/storage/rxon_storage_bench [tasks]

#include "storage/writer.hpp"
#include "tests/storage/storage_support.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <pthread.h>
#include <string>

using namespace rxon::storage;
using namespace rxon::storage::test;

namespace {

/// CPU seconds used so far by the calling thread.
double thread_cpu() {
  clockid_t id;
  timespec ts{};
  if (pthread_getcpuclockid(pthread_self(), &id) == 0)
    clock_gettime(id, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

task_record bench_task(int i) {
  task_record t;
  t.task_id = "task-" + std::to_string(i);
  t.job_id = "job-" + std::to_string(i / 1000);
  t.type = "resize";
  t.params = rxon::json::object{{"image", "s3://bucket/" + t.task_id},
                                {"width", 640}};
  t.state = task_state::pending;
  t.created_ms = t.updated_ms = 1'700'000'000'000 + i;
  return t;
}

/// A writer on a fresh SQLite file in `dir` with the jobs of `n` tasks
/// committed; null (after a message) when the file cannot be opened.
std::unique_ptr<writer> open_writer(temp_dir& dir, int n,
                                    sync_mode mode = sync_mode::normal) {
  auto st
      = open_sqlite_store({.path = dir.file("bench.db"), .synchronous = mode});
  if (!st) {
    std::fprintf(stderr, "%s\n", st.error().message.c_str());
    return nullptr;
  }
  auto w = std::make_unique<writer>(std::move(*st));
  change_batch jobs;
  for (int j = 0; j <= n / 1000; ++j)
    jobs.jobs.push_back(make_job("job-" + std::to_string(j)));
  w->submit(std::move(jobs));
  w->flush();
  return w;
}

/// Upserts `n` tasks (then each again as assigned: 2 rows per task), in
/// submissions of `per_submit` tasks; returns upserts per second.
double run(int n, int per_submit, sync_mode mode, uint64_t& commits,
           double& cpu_secs, double& writer_secs) {
  temp_dir dir;
  auto opened = open_writer(dir, n, mode);
  if (!opened)
    return 0;
  auto& w = *opened;
  double writer_cpu0 = 0;
  w.read([&](store&) { writer_cpu0 = thread_cpu(); });
  w.flush();
  auto t0 = std::chrono::steady_clock::now();
  auto c0 = std::clock();
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < n; i += per_submit) {
      change_batch b;
      for (int k = i; k < i + per_submit && k < n; ++k) {
        b.tasks.push_back(bench_task(k));
        if (round == 1) {
          b.tasks.back().state = task_state::assigned;
          b.tasks.back().holon_id = "holon-1";
        }
      }
      w.submit(std::move(b));
    }
  }
  double writer_cpu1 = 0;
  w.read([&](store&) { writer_cpu1 = thread_cpu(); });
  w.flush();
  writer_secs = writer_cpu1 - writer_cpu0;
  auto secs
      = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
  cpu_secs = double(std::clock() - c0) / CLOCKS_PER_SEC;
  commits = w.commits() - 1;
  return 2.0 * n / secs;
}

/// The dispatcher's pattern: each task put (1000 per submission), then
/// updated to assigned and to success, one update per submission. With
/// `apart` the updates follow all puts (separate groups); otherwise each
/// task's three changes are submitted back to back (one group). Returns
/// writer CPU microseconds per task.
double run_lifecycle(int n, bool apart, uint64_t& commits) {
  temp_dir dir;
  auto opened = open_writer(dir, n);
  if (!opened)
    return 0;
  auto& w = *opened;
  double cpu0 = 0;
  w.read([&](store&) { cpu0 = thread_cpu(); });
  w.flush();
  auto update = [&](int i, task_state s) {
    auto u = task_update::of(bench_task(i));
    u.state = s;
    u.attempts = 1;
    u.holon_id = "holon-1";
    if (s == task_state::success)
      u.result = rxon::json::object{{"ok", true}};
    w.submit({.task_updates = {std::move(u)}});
  };
  for (int i = 0; i < n; i += 1000) {
    change_batch b;
    for (int k = i; k < i + 1000 && k < n; ++k)
      b.tasks.push_back(bench_task(k));
    w.submit(std::move(b));
    if (apart)
      continue;
    for (int k = i; k < i + 1000 && k < n; ++k) {
      update(k, task_state::assigned);
      update(k, task_state::success);
    }
  }
  for (int i = 0; apart && i < n; ++i)
    update(i, task_state::assigned);
  for (int i = 0; apart && i < n; ++i)
    update(i, task_state::success);
  double cpu1 = 0;
  w.read([&](store&) { cpu1 = thread_cpu(); });
  w.flush();
  commits = w.commits() - 1;
  return (cpu1 - cpu0) * 1e6 / n;
}

} // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::stoi(argv[1]) : 200'000;
  struct {
    int per_submit;
    sync_mode mode;
    const char* name;
  } cases[] = {{1000, sync_mode::normal, "NORMAL, 1000 tasks per submit"},
               {1, sync_mode::normal, "NORMAL, 1 task per submit"},
               {1000, sync_mode::full, "FULL,   1000 tasks per submit"}};
  for (const auto& c : cases) {
    uint64_t commits = 0;
    double cpu = 0;
    double writer_cpu = 0;
    double rate = run(n, c.per_submit, c.mode, commits, cpu, writer_cpu);
    // CPU seconds of the process (producer included) and of the writer.
    std::printf("%-30s %7.0f upserts/s wall, %7.0f per process CPU-s, "
                "%7.0f per writer CPU-s (%d upserts, %llu commits)\n",
                c.name, rate, 2 * n / cpu, 2 * n / writer_cpu, 2 * n,
                static_cast<unsigned long long>(commits));
  }
  for (bool apart : {true, false}) {
    uint64_t commits = 0;
    double us = run_lifecycle(n, apart, commits);
    std::printf("lifecycle, %-20s %6.2f writer CPU-us per task (%d tasks, "
                "%llu commits)\n",
                apart ? "updates apart:" : "in one group:", us, n,
                static_cast<unsigned long long>(commits));
  }
  return 0;
}
