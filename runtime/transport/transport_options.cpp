#include "runtime/transport/transport_options.hpp"

#include <cstdio>

namespace rxon::runtime {

void write_log(const log_sink& sink, log_level level, std::string_view line) {
  if (sink) {
    sink(level, line);
    return;
  }
  if (level < log_level::warning)
    return;
  std::fprintf(stderr, "rxon transport %s: %.*s\n",
               level == log_level::warning ? "warning" : "error",
               static_cast<int>(line.size()), line.data());
}

} // namespace rxon::runtime
