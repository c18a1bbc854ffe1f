#include "runtime/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace rxon::runtime::log {

namespace {

std::atomic<int> min_level{static_cast<int>(level::info)};
std::atomic<bool> as_json{false};
std::mutex out_mtx;

const char* name(level l) {
  switch (l) {
  case level::debug:
    return "debug";
  case level::info:
    return "info";
  case level::warn:
    return "warn";
  case level::error:
  default:
    return "error";
  }
}

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

} // namespace

void configure(std::string_view format, std::string_view lvl) {
  as_json = format == "json";
  level l = level::info;
  if (lvl == "debug")
    l = level::debug;
  else if (lvl == "warn")
    l = level::warn;
  else if (lvl == "error")
    l = level::error;
  min_level = static_cast<int>(l);
}

bool enabled(level l) noexcept {
  return static_cast<int>(l) >= min_level.load(std::memory_order_relaxed);
}

void write(level l, std::string_view msg, const json::object& fields) {
  if (!enabled(l))
    return;
  std::string line;
  if (as_json) {
    json::object rec = fields;
    rec.set("ts", timestamp());
    rec.set("level", name(l));
    rec.set("msg", std::string{msg});
    json::write(json::value{std::move(rec)}, line);
  } else {
    line = timestamp() + " " + name(l) + " " + std::string{msg};
    for (const auto& m : fields) {
      line += " " + m.key + "=";
      line += m.val.is_string() ? m.val.as_string() : json::to_string(m.val);
    }
  }
  line.push_back('\n');
  std::lock_guard<std::mutex> guard{out_mtx};
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

} // namespace rxon::runtime::log
