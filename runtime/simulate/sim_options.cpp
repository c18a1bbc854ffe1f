#include "runtime/simulate/sim_options.hpp"

#include <charconv>
#include <cmath>

namespace rxon::runtime::simulate {

namespace {

template <class T>
result<T> number(const std::string& flag, const std::string& text) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size())
    return error{errc::invalid_value,
                 flag + ": '" + text + "' is not a valid number"};
  return v;
}

result<double> probability(const std::string& flag, const std::string& text) {
  auto v = number<double>(flag, text);
  if (v && (*v < 0 || *v > 1 || std::isnan(*v)))
    return error{errc::invalid_value, flag + ": must be within [0, 1]"};
  return v;
}

} // namespace

const char* sim_usage() {
  return R"(usage: rxon simulate [options]
  --levels L          holon levels below the root (default 3)
  --fanout F          children per orchestrator holon (default 4)
  --topology FILE     JSON tree {"id","children":[...]} instead of L/F
  --tasks N           tasks (a batch, or a cap with --arrival-rate)
  --arrival-rate R    Poisson arrivals, tasks per simulated second
  --duration S        seconds of arrivals (with --arrival-rate)
  --seed S            same seed, same summary (default 1)
  --fail-crash P      per task: the holon's actor crashes mid-task
  --fail-subtree N    N subtrees stop heartbeating mid-run
  --slow-fraction F   fraction of holons running 5x slower
  --drop-results P    per task: the result is never posted
  --window N          batch: at most N tasks outstanding (default 2/leaf)
  --json              print the summary as JSON
  --report FILE       write a self-contained HTML report
  --no-progress       no progress bar
)";
}

result<sim_options> parse_sim_options(const std::vector<std::string>& args) {
  sim_options o;
  bool tasks_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (a == "--no-progress") {
      o.progress = false;
      continue;
    }
    if (i + 1 >= args.size())
      return error{errc::invalid_value,
                   "unknown or incomplete option '" + a + "'"};
    const auto& v = args[++i];
    status ok;
    auto set = [&](auto parsed, auto& field) {
      if (!parsed)
        ok = std::move(parsed).error();
      else
        field = *parsed;
    };
    if (a == "--levels")
      set(number<int>(a, v), o.levels);
    else if (a == "--fanout")
      set(number<int>(a, v), o.fanout);
    else if (a == "--topology")
      o.topology = v;
    else if (a == "--tasks") {
      set(number<uint64_t>(a, v), o.tasks);
      tasks_given = true;
    } else if (a == "--arrival-rate")
      set(number<double>(a, v), o.arrival_rate);
    else if (a == "--duration")
      set(number<double>(a, v), o.duration_s);
    else if (a == "--seed")
      set(number<uint64_t>(a, v), o.seed);
    else if (a == "--fail-crash")
      set(probability(a, v), o.fail_crash);
    else if (a == "--fail-subtree")
      set(number<int>(a, v), o.fail_subtree);
    else if (a == "--slow-fraction")
      set(probability(a, v), o.slow_fraction);
    else if (a == "--drop-results")
      set(probability(a, v), o.drop_results);
    else if (a == "--window")
      set(number<std::size_t>(a, v), o.window);
    else if (a == "--report")
      o.report = v;
    else
      return error{errc::invalid_value, "unknown option '" + a + "'"};
    if (!ok)
      return ok.error();
  }
  if (o.levels < 1 || o.levels > 16)
    return error{errc::invalid_value, "--levels: must be within 1..16"};
  if (o.fanout < 1)
    return error{errc::invalid_value, "--fanout: must be at least 1"};
  if (o.fail_subtree < 0)
    return error{errc::invalid_value, "--fail-subtree: must be >= 0"};
  if (o.arrival_rate < 0 || std::isnan(o.arrival_rate))
    return error{errc::invalid_value, "--arrival-rate: must be >= 0"};
  if (o.arrival_rate > 0) {
    if (o.duration_s <= 0)
      return error{errc::invalid_value,
                   "--arrival-rate needs --duration (seconds of arrivals)"};
    if (!tasks_given)
      o.tasks = UINT64_MAX;
  } else if (o.tasks == 0) {
    return error{errc::invalid_value, "--tasks: must be at least 1"};
  }
  if (o.tasks > UINT32_MAX - 1 && o.arrival_rate <= 0)
    return error{errc::invalid_value, "--tasks: at most 4294967294"};
  return o;
}

} // namespace rxon::runtime::simulate
