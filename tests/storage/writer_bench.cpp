// Group-commit throughput of the writer on a SQLite file: task upserts per
// second. Prints figures; asserts nothing about time.
//   build/tests/storage/rxon_storage_bench [tasks]

#include "storage/writer.hpp"
#include "tests/storage/storage_support.hpp"

#include <chrono>
#include <cstdio>
#include <string>

using namespace rxon::storage;
using namespace rxon::storage::test;

namespace {

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

/// Upserts `n` tasks (then each again as assigned: 2 rows per task), in
/// submissions of `per_submit` tasks; returns upserts per second.
double run(int n, int per_submit, sync_mode mode, uint64_t& commits) {
  temp_dir dir;
  auto st = open_sqlite_store({dir.file("bench.db"), mode});
  if (!st) {
    std::fprintf(stderr, "%s\n", st.error().message.c_str());
    return 0;
  }
  writer w{std::move(*st)};
  change_batch jobs;
  for (int j = 0; j <= n / 1000; ++j)
    jobs.jobs.push_back(make_job("job-" + std::to_string(j)));
  w.submit(std::move(jobs));
  w.flush();
  auto t0 = std::chrono::steady_clock::now();
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
  w.flush();
  auto secs
      = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
  commits = w.commits() - 1;
  return 2.0 * n / secs;
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
    double rate = run(n, c.per_submit, c.mode, commits);
    std::printf("%-32s %9.0f upserts/s  (%d upserts, %llu commits)\n", c.name,
                rate, 2 * n, static_cast<unsigned long long>(commits));
  }
  return 0;
}
