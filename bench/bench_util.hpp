#pragma once

// Shared pieces of the `rxon bench` subcommands.

#include "actors/memory_policy.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace rxon::bench {

struct report {
  int holons = 0;
  int tasks = 0;
  bool durable = false;
  double tasks_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  /// Marginal resident memory per holon: RSS growth over the second half
  /// of the registrations, once allocators, caches and threads are warm,
  /// less the freed pages jemalloc has not returned to the kernel yet (its
  /// dirty pages, returned within 10 s).
  double bytes_per_holon = 0;
  /// RSS growth over all registrations, fixed costs and freed pages
  /// included.
  int64_t rss_growth_bytes = 0;
  /// As bytes_per_holon, from the allocator's count of live heap bytes
  /// (jemalloc's stats.allocated; -1 without jemalloc). RSS moves in 2 MiB
  /// steps under transparent huge pages (--huge-pages), a coarse grain for
  /// a few hundred holons; this figure has byte precision.
  double heap_bytes_per_holon = -1;
  int64_t dispatched = -1;
  int64_t commits = -1; ///< group commits (durable only)
  int64_t polls = -1;   ///< polls answered (in-memory only)
  /// CPU time of the whole process over the timed phase, per task: unlike
  /// tasks_per_s it hardly moves when the shared machine is noisy.
  double cpu_us_per_task = 0;
  /// The same split by thread name, as a JSON object (see thread_cpu_json).
  std::string thread_us_per_task;
  std::string error;
};

/// CPU seconds (user + system) this process used so far, all threads.
inline double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

/// CPU seconds (user + system) of each live thread of this process, by
/// thread id, with its name: which thread limits a benchmark (the actor
/// scheduler, the storage writer, an io thread or the load) is what to
/// optimise next.
struct thread_cpu_sample {
  std::string name;
  double seconds = 0;
};
inline std::map<long, thread_cpu_sample> thread_cpu_seconds() {
  std::map<long, thread_cpu_sample> out;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  DIR* dir = ::opendir("/proc/self/task");
  if (!dir)
    return out;
  while (auto* e = ::readdir(dir)) {
    if (e->d_name[0] == '.')
      continue;
    std::ifstream in{std::string{"/proc/self/task/"} + e->d_name + "/stat"};
    std::string line;
    if (!std::getline(in, line))
      continue;
    // "tid (name) state ppid ..." with utime and stime the 14th and 15th
    // fields; the name may hold spaces, so fields count from the last ')'.
    auto open = line.find('(');
    auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos)
      continue;
    std::istringstream rest{line.substr(close + 2)};
    std::string field;
    double utime = 0;
    double stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14)
        utime = std::atof(field.c_str());
      if (i == 15)
        stime = std::atof(field.c_str());
    }
    out[std::atol(e->d_name)]
        = {line.substr(open + 1, close - open - 1), (utime + stime) / tick};
  }
  ::closedir(dir);
  return out;
}

/// `{"name":us,...}`: CPU microseconds per task of each thread name between
/// two samples (threads sharing a name summed; under 0.05 us left out).
inline std::string thread_cpu_json(const std::map<long, thread_cpu_sample>& a,
                                   const std::map<long, thread_cpu_sample>& b,
                                   double tasks) {
  std::map<std::string, double> by_name;
  for (const auto& [tid, s] : b) {
    auto before = a.find(tid);
    by_name[s.name]
        += s.seconds - (before == a.end() ? 0 : before->second.seconds);
  }
  std::string out = "{";
  char buf[128];
  for (const auto& [name, secs] : by_name) {
    auto us = tasks > 0 ? secs * 1e6 / tasks : 0;
    if (us < 0.05)
      continue;
    auto key = name;
    for (auto& c : key)
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
        c = '_';
    std::snprintf(buf, sizeof buf, "%s\"%s\":%.2f", out.size() > 1 ? "," : "",
                  key.c_str(), us);
    out += buf;
  }
  return out + "}";
}

/// Resident set size of this process, from /proc/self/statm.
inline int64_t resident_bytes() {
  std::ifstream in{"/proc/self/statm"};
  int64_t size = 0;
  int64_t resident = 0;
  in >> size >> resident;
  return resident * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace rxon::bench

// jemalloc's control interface; weak, so that a build without jemalloc
// links and reports no heap figure.
extern "C" int mallctl(const char*, void*, size_t*, void*, size_t)
    __attribute__((weak));

namespace rxon::bench {

/// Live heap bytes (jemalloc's stats.allocated, refreshed); -1 without
/// jemalloc.
inline int64_t heap_allocated_bytes() {
  if (!mallctl)
    return -1;
  uint64_t epoch = 1;
  size_t len = sizeof epoch;
  if (mallctl("epoch", &epoch, &len, &epoch, len) != 0)
    return -1;
  size_t allocated = 0;
  len = sizeof allocated;
  if (mallctl("stats.allocated", &allocated, &len, nullptr, 0) != 0)
    return -1;
  return static_cast<int64_t>(allocated);
}

/// Bytes of freed memory jemalloc still keeps resident (its dirty pages,
/// returned to the kernel within dirty_decay_ms, 10 s by default); 0
/// without jemalloc. Call after heap_allocated_bytes(), which refreshes
/// the statistics.
inline int64_t freed_resident_bytes() {
  if (!mallctl)
    return 0;
  size_t pages = 0;
  size_t len = sizeof pages;
  // 4096: MALLCTL_ARENAS_ALL, the sum over every arena.
  if (mallctl("stats.arenas.4096.pdirty", &pages, &len, nullptr, 0) != 0)
    return 0;
  return static_cast<int64_t>(pages) * ::sysconf(_SC_PAGESIZE);
}

struct memory_mark {
  int64_t rss = 0;
  int64_t freed = 0; ///< of rss, freed pages the allocator still keeps
  int64_t heap = -1;
};
inline memory_mark memory_now() {
  auto heap = heap_allocated_bytes();
  return {resident_bytes(), freed_resident_bytes(), heap};
}

/// Fills bytes_per_holon, heap_bytes_per_holon and rss_growth_bytes from
/// the marks before, after half and after all of `holons` registrations.
inline void fill_memory(report& r, int holons, memory_mark before,
                        memory_mark half, memory_mark after) {
  r.rss_growth_bytes = after.rss - before.rss;
  auto second = holons - holons / 2;
  if (second <= 0)
    return;
  // Freed pages the allocator has not returned yet (what registrations
  // free: messages, encodings) are left out: a fixed cost that read as 1-2
  // KiB per holon at 1k holons once RSS moved in 4 KiB steps.
  r.bytes_per_holon
      = static_cast<double>((after.rss - after.freed) - (half.rss - half.freed))
        / second;
  if (half.heap >= 0 && after.heap >= 0)
    r.heap_bytes_per_holon
        = static_cast<double>(after.heap - half.heap) / second;
}

inline void fill_percentiles(report& r, std::vector<double>& samples) {
  if (samples.empty())
    return;
  auto at = [&](double q) {
    auto k = static_cast<size_t>(q * static_cast<double>(samples.size() - 1));
    std::nth_element(samples.begin(),
                     samples.begin() + static_cast<std::ptrdiff_t>(k),
                     samples.end());
    return samples[k];
  };
  r.p50_us = at(0.50);
  r.p99_us = at(0.99);
}

inline void print_report(const report& r, bool as_json) {
  if (as_json) {
    std::printf(
        "{\"holons\":%d,\"tasks\":%d,\"durable\":%s,"
        "\"tasks_per_s\":%.1f,\"p50_us\":%.2f,\"p99_us\":%.2f,"
        "\"bytes_per_holon\":%.1f,\"heap_bytes_per_holon\":%.1f,"
        "\"rss_growth_bytes\":%lld,"
        "\"dispatched\":%lld,"
        "\"polls\":%lld,\"commits\":%lld,\"cpu_us_per_task\":%.2f,"
        "\"thread_us_per_task\":%s,\"huge_pages\":%s,\"timed\":\"%s\"%s%s%s}\n",
        r.holons, r.tasks, r.durable ? "true" : "false", r.tasks_per_s,
        r.p50_us, r.p99_us, r.bytes_per_holon, r.heap_bytes_per_holon,
        static_cast<long long>(r.rss_growth_bytes),
        static_cast<long long>(r.dispatched), static_cast<long long>(r.polls),
        static_cast<long long>(r.commits), r.cpu_us_per_task,
        r.thread_us_per_task.empty() ? "{}" : r.thread_us_per_task.c_str(),
        actors::uses_huge_pages() ? "true" : "false",
        r.durable ? "submit+poll+result+commit per task"
                  : "poll (best_task_for+deliver) per task",
        r.error.empty() ? "" : ",\"error\":\"",
        r.error.empty() ? "" : r.error.c_str(), r.error.empty() ? "" : "\"");
    return;
  }
  std::printf("dispatch benchmark (%s)\n",
              r.durable ? "full lifecycle, SQLite WAL NORMAL"
                        : "matching and dispatch, in memory");
  std::printf("  holons           %d\n", r.holons);
  std::printf("  tasks            %d\n", r.tasks);
  std::printf("  tasks/s          %.0f\n", r.tasks_per_s);
  std::printf("  latency p50      %.2f us\n", r.p50_us);
  std::printf("  latency p99      %.2f us\n", r.p99_us);
  std::printf("  CPU per task     %.2f us (all threads, timed phase)\n",
              r.cpu_us_per_task);
  std::printf("  huge pages       %s\n",
              actors::uses_huge_pages() ? "on" : "off");
  if (!r.thread_us_per_task.empty())
    std::printf("  per thread       %s (us per task)\n",
                r.thread_us_per_task.c_str());
  std::printf("  bytes per holon  %.0f (marginal; all registrations: %lld "
              "bytes)\n",
              r.bytes_per_holon, static_cast<long long>(r.rss_growth_bytes));
  if (r.heap_bytes_per_holon >= 0)
    std::printf("  heap per holon   %.0f (live heap bytes, marginal)\n",
                r.heap_bytes_per_holon);
  if (r.polls >= 0)
    std::printf("  polls            %lld (timed: poll = match + deliver)\n",
                static_cast<long long>(r.polls));
  if (r.commits >= 0)
    std::printf("  group commits    %lld\n", static_cast<long long>(r.commits));
  if (!r.error.empty())
    std::printf("  error            %s\n", r.error.c_str());
}

} // namespace rxon::bench
