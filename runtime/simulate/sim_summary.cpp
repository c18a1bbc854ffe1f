#include "runtime/simulate/sim_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sys/resource.h>

namespace rxon::runtime::simulate {

namespace {

std::vector<int64_t> make_bounds() {
  std::vector<int64_t> out;
  double b = 1;
  while (b < 1e12) {
    auto v = static_cast<int64_t>(std::llround(b));
    if (out.empty() || v > out.back())
      out.push_back(v);
    b *= 1.06;
  }
  out.push_back(INT64_MAX);
  return out;
}

const std::vector<int64_t>& all_bounds() {
  static const std::vector<int64_t> b = make_bounds();
  return b;
}

json::value latency_json(const latency_histogram& h) {
  return json::object{{"count", h.count()},
                      {"p50", h.quantile(0.5)},
                      {"p90", h.quantile(0.9)},
                      {"p99", h.quantile(0.99)},
                      {"max", h.max()}};
}

double round3(double v) {
  return std::round(v * 1000) / 1000;
}

} // namespace

latency_histogram::latency_histogram() : counts_(all_bounds().size(), 0) {}

const std::vector<int64_t>& latency_histogram::bounds() const noexcept {
  return all_bounds();
}

void latency_histogram::add(int64_t ms) {
  ms = std::max<int64_t>(ms, 0);
  const auto& b = all_bounds();
  auto i = std::lower_bound(b.begin(), b.end(), ms) - b.begin();
  ++counts_[static_cast<std::size_t>(i)];
  ++count_;
  max_ = std::max(max_, ms);
}

int64_t latency_histogram::quantile(double q) const {
  if (count_ == 0)
    return 0;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank)
      return std::min(all_bounds()[i], max_);
  }
  return max_;
}

double summary::sim_tasks_per_s() const {
  return sim_ms > 0 ? static_cast<double>(completed) * 1000.0
                          / static_cast<double>(sim_ms)
                    : 0;
}

double summary::tasks_per_s() const {
  return wall_s > 0 ? static_cast<double>(completed) / wall_s : 0;
}

json::value to_json(const summary& s, bool with_machine) {
  json::array levels;
  for (const auto& l : s.levels)
    levels.push_back(json::object{
        {"level", l.level},
        {"holons", l.holons},
        {"leaves", l.leaves},
        {"completed", l.completed},
        {"latency_ms", latency_json(l.latency)},
        {"utilisation", json::object{{"mean", round3(l.util_mean)},
                                     {"min", round3(l.util_min)},
                                     {"max", round3(l.util_max)}}}});
  json::object out{
      {"seed", s.seed},
      {"holons", s.holons},
      {"leaves", s.leaves},
      {"tasks", s.tasks},
      {"completed", s.completed},
      {"failed", s.failed},
      {"pending", s.pending},
      {"lost", s.lost},
      {"requeues", s.requeues},
      {"crashes", s.crashes},
      {"dropped_results", s.dropped_results},
      {"subtrees_lost", s.subtrees_lost},
      {"holons_lost", s.holons_lost},
      {"rescued", s.rescued},
      {"reregistrations", s.reregistrations},
      {"sim_s", round3(static_cast<double>(s.sim_ms) / 1000.0)},
      {"sim_tasks_per_s", round3(s.sim_tasks_per_s())},
      {"latency_ms", latency_json(s.latency)},
      {"levels", std::move(levels)},
  };
  if (with_machine) {
    out.set("wall_s", round3(s.wall_s));
    out.set("setup_s", round3(s.setup_s));
    out.set("cpu_s", round3(s.cpu_s));
    out.set("rss_bytes", s.rss_bytes);
    out.set("tasks_per_s", std::round(s.tasks_per_s()));
  }
  return out;
}

std::string to_text(const summary& s) {
  std::string out;
  char line[256];
  auto add = [&](const char* fmt, auto... xs) {
    std::snprintf(line, sizeof line, fmt, xs...);
    out += line;
  };
  using ull = unsigned long long;
  add("holarchy   %llu holons (%llu leaves), %zu levels, seed %llu\n",
      ull(s.holons), ull(s.leaves), s.levels.size(), ull(s.seed));
  add("tasks      %llu submitted, %llu completed, %llu failed, %llu pending,"
      " %llu lost\n",
      ull(s.tasks), ull(s.completed), ull(s.failed), ull(s.pending),
      ull(s.lost));
  add("simulated  %.1f s, %.1f tasks/s\n",
      static_cast<double>(s.sim_ms) / 1000.0, s.sim_tasks_per_s());
  add("failures   %llu crashes, %llu dropped results, %llu subtrees lost "
      "(%llu holons), %llu requeues, %llu rescued, %llu re-registrations\n",
      ull(s.crashes), ull(s.dropped_results), ull(s.subtrees_lost),
      ull(s.holons_lost), ull(s.requeues), ull(s.rescued),
      ull(s.reregistrations));
  add("latency    p50 %lld ms, p90 %lld ms, p99 %lld ms, max %lld ms\n",
      static_cast<long long>(s.latency.quantile(0.5)),
      static_cast<long long>(s.latency.quantile(0.9)),
      static_cast<long long>(s.latency.quantile(0.99)),
      static_cast<long long>(s.latency.max()));
  add("%-6s %9s %9s %10s %8s %8s %8s %17s\n", "level", "holons", "leaves",
      "completed", "p50 ms", "p90 ms", "p99 ms", "util mean/min/max");
  for (const auto& l : s.levels)
    add("%-6d %9llu %9llu %10llu %8lld %8lld %8lld %5.2f/%4.2f/%4.2f\n",
        l.level, ull(l.holons), ull(l.leaves), ull(l.completed),
        static_cast<long long>(l.latency.quantile(0.5)),
        static_cast<long long>(l.latency.quantile(0.9)),
        static_cast<long long>(l.latency.quantile(0.99)), l.util_mean,
        l.util_min, l.util_max);
  add("machine    %.2f s wall (%.2f s setup), %.2f s CPU, %.0f tasks/s, peak "
      "RSS %.1f MiB\n",
      s.wall_s, s.setup_s, s.cpu_s, s.tasks_per_s(),
      static_cast<double>(s.rss_bytes) / 1048576.0);
  return out;
}

double cpu_seconds() {
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) != 0)
    return 0;
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

uint64_t peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmHWM:") {
      uint64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

} // namespace rxon::runtime::simulate
