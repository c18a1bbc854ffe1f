// `rxon simulate`: the production actors on a simulated clock.

#include "runtime/simulate/sim_options.hpp"
#include "runtime/simulate/sim_report.hpp"
#include "runtime/simulate/simulator.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <unistd.h>
#include <utility>

using namespace rxon;
using namespace rxon::runtime::simulate;

namespace {

sim_run simulate(const sim_options& o) {
  auto r = run_simulation(o);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  return std::move(*r);
}

sim_options small(int levels, int fanout, uint64_t tasks) {
  sim_options o;
  o.levels = levels;
  o.fanout = fanout;
  o.tasks = tasks;
  o.progress = false;
  return o;
}

using edge_set = std::set<std::pair<std::string, std::string>>;

void edges_of(const json::value& node, edge_set& out) {
  const auto& id = node.find("id")->as_string();
  for (const auto& c : node.find("children")->as_array()) {
    out.emplace(c.find("id")->as_string(), id);
    edges_of(c, out);
  }
}

} // namespace

TEST_CASE("the same seed gives an identical summary") {
  auto o = small(3, 3, 3000);
  o.fail_crash = 0.02;
  o.drop_results = 0.02;
  o.slow_fraction = 0.2;
  o.fail_subtree = 1;
  o.seed = 42;
  auto a = json::to_string(to_json(simulate(o).stats, false));
  auto b = json::to_string(to_json(simulate(o).stats, false));
  CHECK(a == b);
  o.seed = 43;
  auto c = json::to_string(to_json(simulate(o).stats, false));
  CHECK(a != c); // the seed does drive the run
}

TEST_CASE("a small three-level run with failures injected loses no task") {
  auto o = small(3, 3, 3000);
  o.fail_crash = 0.03;
  o.drop_results = 0.03;
  o.slow_fraction = 0.2;
  o.fail_subtree = 1;
  auto run = simulate(o);
  const auto& s = run.stats;
  CHECK(s.holons == 39);
  CHECK(s.tasks == 3000);
  CHECK(s.lost == 0);
  CHECK(s.failed == 0);
  CHECK(s.pending == 0);
  CHECK(s.completed == 3000);
  // The failures did happen, and were repaired by requeues.
  CHECK(s.crashes > 0);
  CHECK(s.dropped_results > 0);
  CHECK(s.subtrees_lost == 1);
  CHECK(s.holons_lost == 4); // a level-2 holon and its three leaves
  CHECK(s.requeues >= s.crashes);
  REQUIRE(s.levels.size() == 3);
  CHECK(s.levels[2].completed == 3000); // only leaves execute
  CHECK(s.levels[2].latency.count() == 3000);
  CHECK(s.levels[2].util_mean > 0);
}

TEST_CASE("a batch with an arrival rate completes what arrived") {
  auto o = small(2, 5, 0);
  o.arrival_rate = 50;
  o.duration_s = 20;
  o.tasks = UINT64_MAX;
  auto s = simulate(o).stats;
  // Poisson(50/s) over 20 s: about 1000 tasks.
  CHECK(s.tasks > 800);
  CHECK(s.tasks < 1200);
  CHECK(s.completed == s.tasks);
  CHECK(s.lost == 0);
}

TEST_CASE("the tree in the report has the holarchy's shape") {
  auto run = simulate(small(3, 3, 500));
  edge_set actual;
  edges_of(run.holarchy, actual);
  REQUIRE(actual.size() == 39);
  auto html = report_html(run);
  edge_set drawn;
  std::regex circle("data-id='([^']*)' data-parent='([^']*)'");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), circle);
       it != std::sregex_iterator(); ++it)
    if ((*it)[1] != "root")
      drawn.emplace((*it)[1], (*it)[2]);
  CHECK(drawn == actual);
  CHECK(html.find("class='throughput'") != std::string::npos);
  CHECK(html.find("class='latency'") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos); // self-contained
}

TEST_CASE("a subtree loss requeues its tasks elsewhere") {
  auto o = small(2, 4, 2000);
  o.fail_subtree = 1;
  auto run = simulate(o);
  const auto& s = run.stats;
  CHECK(s.subtrees_lost == 1);
  CHECK(s.holons_lost == 5); // a level-1 holon and its four leaves
  // Tasks in flight on the lost machines were completed by other holons.
  CHECK(s.rescued > 0);
  CHECK(s.requeues >= s.rescued);
  CHECK(s.completed == 2000);
  CHECK(s.lost == 0);
  // The orchestrator dropped the lost subtree from its holarchy.
  std::size_t lost_nodes = 0;
  for (auto l : run.lost)
    lost_nodes += l;
  CHECK(lost_nodes == 5);
}

TEST_CASE("a topology file gives the holarchy its shape, uneven depths too") {
  auto path = std::filesystem::temp_directory_path()
              / ("rxon-sim-topology-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream f(path);
    f << R"({"id":"root","children":[
      {"id":"eu","children":[
        {"id":"eu-gpu","gpu_vram":24,"speed":0.5},
        {"id":"eu-rack","children":[{"id":"eu-1"},{"id":"eu-2"}]}]},
      {"id":"solo","gpu_vram":16}]})";
  }
  auto o = small(1, 1, 400);
  o.topology = path.string();
  auto run = simulate(o);
  std::filesystem::remove(path);
  edge_set actual;
  edges_of(run.holarchy, actual);
  edge_set expected{{"eu", "root"},      {"solo", "root"},
                    {"eu-gpu", "eu"},    {"eu-rack", "eu"},
                    {"eu-1", "eu-rack"}, {"eu-2", "eu-rack"}};
  CHECK(actual == expected);
  const auto& s = run.stats;
  CHECK(s.holons == 6);
  CHECK(s.leaves == 4);
  REQUIRE(s.levels.size() == 3);
  // Leaves sit on levels 1 (solo), 2 (eu-gpu) and 3 (eu-1, eu-2): each
  // level with a leaf executed tasks, each level reports its latency.
  CHECK(s.levels[0].completed > 0);
  CHECK(s.levels[1].completed > 0);
  CHECK(s.levels[2].completed > 0);
  CHECK(s.levels[0].completed + s.levels[1].completed + s.levels[2].completed
        == 400);
  CHECK(s.lost == 0);
}

TEST_CASE("bad options give an error naming the problem") {
  auto r = parse_sim_options({"--levels", "three"});
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("--levels") != std::string::npos);
  auto p = parse_sim_options({"--fail-crash", "1.5"});
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("--fail-crash") != std::string::npos);
  auto q = parse_sim_options({"--arrival-rate", "10"});
  REQUIRE_FALSE(q);
  CHECK(q.error().message.find("--duration") != std::string::npos);
  auto t = parse_topology(json::value{
      json::object{{"id", "root"},
                   {"children", json::array{json::object{{"id", "a"}},
                                            json::object{{"id", "a"}}}}}});
  REQUIRE_FALSE(t);
  CHECK(t.error().message.find("'a' is used twice") != std::string::npos);
}

TEST_CASE("rxon simulate --json prints the documented keys") {
  std::string cmd = std::string(RXON_BINARY)
                    + " simulate --levels 2 --fanout 3 --tasks 300 --json";
  auto* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  CHECK(::pclose(p) == 0);
  auto doc = json::parse(out);
  REQUIRE_MESSAGE(doc.has_value(), out);
  for (const char* key :
       {"holons", "tasks", "wall_s", "rss_bytes", "tasks_per_s", "lost"})
    CHECK_MESSAGE(doc->find(key) != nullptr, key);
  CHECK(doc->find("holons")->as_int() == 12);
  CHECK(doc->find("tasks")->as_int() == 300);
  CHECK(doc->find("lost")->as_int() == 0);
}
