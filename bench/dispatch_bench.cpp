// `rxon bench dispatch --holons N --tasks M [--durable] [--json]`
//
// Without --durable: matching and dispatch only, in memory, on the
// dispatcher's logic: N holons (20 resource profiles, 100 task types) park
// a poll each; every task is matched to an idle poller, its result posted at
// once, and the holon polls again.
//
// With --durable: the full lifecycle through the actor runtime with SQLite
// (WAL, synchronous=NORMAL): N holons register (one holon actor each), jobs
// are submitted, and in-process worker loops poll, post results and wait
// for each result's commit.

#include "bench/dispatch_bench.hpp"

#include "bench/bench_util.hpp"

#include "actors/dispatcher_state.hpp"
#include "actors/orchestrator.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>
#include <thread>

namespace rxon::bench {

namespace {

using namespace rxon::actors;
using clock_type = std::chrono::steady_clock;

constexpr int profiles = 20;
constexpr int task_types = 100;
constexpr int skills_per_holon = 5;

std::string type_name(int t) {
  return "type" + std::to_string(t);
}

/// Holon i: skill block i % 20 (5 of the 100 types), resource profile
/// (i / 20) % 20 with a GPU of 8 + 4p GB.
worker_registration make_holon(int i) {
  worker_registration r;
  r.worker_id = "h" + std::to_string(i);
  std::vector<skill_info> skills;
  for (int k = 0; k < skills_per_holon; ++k) {
    skill_info s;
    s.name = type_name(((i % profiles) * skills_per_holon + k) % task_types);
    skills.push_back(std::move(s));
  }
  r.supported_skills = std::move(skills);
  int p = (i / profiles) % profiles;
  resources res;
  hardware_device d;
  d.type = "gpu";
  d.model = "RTX " + std::to_string(4000 + p);
  d.properties = json::object{{"vram_gb", 8 + 4 * p}};
  res.devices = std::vector<hardware_device>{d};
  res.properties = json::object{{"cpu_cores", 8 + p}};
  r.resources = std::move(res);
  return r;
}

/// A task any holon with index < active can run: a random type of a random
/// active holon's block, with no requirement or a GPU of 8/16/32 GB that
/// the active set offers.
task_spec make_task(std::mt19937_64& rng, int active) {
  task_spec t;
  auto holon = static_cast<int>(rng() % static_cast<uint64_t>(active));
  auto k = static_cast<int>(rng() % skills_per_holon);
  t.type = type_name(((holon % profiles) * skills_per_holon + k) % task_types);
  t.params = json::object{{"n", static_cast<int64_t>(rng() % 1000)}};
  int max_profile = std::min((active - 1) / profiles, profiles - 1);
  static constexpr int levels[] = {0, 8, 16, 32};
  int vram = levels[rng() % 4];
  if (vram > 8 + 4 * max_profile)
    vram = 8;
  if (vram > 0) {
    resources req;
    hardware_device d;
    d.type = "gpu";
    d.properties = json::object{{"vram_gb", vram}};
    req.devices = std::vector<hardware_device>{d};
    t.requirements = std::move(req);
  }
  return t;
}

report run_memory(int holons, int tasks) {
  dispatch_config cfg;
  cfg.retain_terminal = 10'000;
  dispatcher_state d{cfg, 7};
  std::mt19937_64 rng{11};
  int64_t now = 1'700'000'000'000;
  auto rss_before = resident_bytes();
  poll_id next = 1;
  effects fx;
  for (int i = 0; i < holons; ++i) {
    d.add_holon(make_holon(i), now);
    poll_request req;
    req.worker_id = "h" + std::to_string(i);
    req.timeout = std::chrono::milliseconds(3'600'000);
    d.poll(next++, req, now, fx);
  }
  auto rss_after = resident_bytes();
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(tasks));
  auto t0 = clock_type::now();
  for (int i = 0; i < tasks; ++i) {
    auto spec = job_spec{"bench", {make_task(rng, holons)}, {}};
    auto s = clock_type::now();
    fx = effects{};
    auto ack = d.submit(spec, now, fx);
    // Each delivery: the holon answers at once and polls again.
    for (std::size_t k = 0; k < fx.answers.size(); ++k) {
      auto& a = fx.answers[k];
      if (!a.outcome || !*a.outcome)
        continue;
      const auto& p = **a.outcome;
      auto holon = d.find_task(p.task_id)->holon_id;
      task_result r;
      r.job_id = p.job_id;
      r.task_id = p.task_id;
      effects rfx;
      d.post_result(holon, r, now, rfx);
      poll_request req;
      req.worker_id = holon;
      req.timeout = std::chrono::milliseconds(3'600'000);
      d.poll(next++, req, now, rfx);
      for (auto& more : rfx.answers)
        fx.answers.push_back(std::move(more));
    }
    lat.push_back(
      std::chrono::duration<double, std::micro>(clock_type::now() - s).count());
    if (!ack)
      break;
  }
  auto secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  report out;
  out.holons = holons;
  out.tasks = tasks;
  out.durable = false;
  out.tasks_per_s = tasks / secs;
  out.dispatched = static_cast<int64_t>(d.stats().dispatched);
  fill_percentiles(out, lat);
  out.bytes_per_holon = holons > 0 ? static_cast<double>(rss_after - rss_before)
                                       / holons
                                   : 0;
  return out;
}

report run_durable(int holons, int tasks) {
  auto dir = std::filesystem::temp_directory_path()
             / ("rxon-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  orchestrator_options opts;
  opts.db_path = (dir / "bench.db").string();
  opts.holon_ttl_ms = 3'600'000;
  opts.dispatch.retain_terminal = 10'000;
  opts.dispatch.max_tasks_per_job = 1'000'000;
  auto started = orchestrator::start(opts);
  report out;
  out.holons = holons;
  out.tasks = tasks;
  out.durable = true;
  if (!started) {
    out.error = started.error().message;
    return out;
  }
  auto& o = **started;
  auto rss_before = resident_bytes();
  {
    std::atomic<int> left{holons};
    std::promise<void> all;
    for (int i = 0; i < holons; ++i)
      o.register_holon(make_holon(i), [&](result<json::value>) {
        if (--left == 0)
          all.set_value();
      });
    if (holons > 0)
      all.get_future().wait();
    o.flush();
  }
  auto rss_after = resident_bytes();
  const int active = std::min(holons, 2048);
  std::mt19937_64 rng{13};
  std::atomic<int> finished{0};
  std::promise<void> all_done;
  std::mutex lat_mtx;
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(tasks));
  auto t0 = clock_type::now();
  // Submit in jobs of 1000 tasks; each is acknowledged after its commit.
  for (int sent = 0; sent < tasks;) {
    job_spec spec{"bench", {}, {}};
    for (int k = 0; k < 1000 && sent < tasks; ++k, ++sent)
      spec.tasks.push_back(make_task(rng, active));
    o.submit(std::move(spec), [](result<job_ack>) {});
  }
  // One worker loop per active holon: poll, post the result, wait for its
  // commit, poll again.
  struct loop {
    orchestrator* o;
    std::string id;
    std::atomic<int>* finished;
    int total;
    std::promise<void>* done;
    std::mutex* mtx;
    std::vector<double>* lat;
    void start(std::shared_ptr<loop> self) {
      if (finished->load() >= total)
        return;
      auto s = clock_type::now();
      o->poll(poll_req(), [self, s](result<std::optional<task_payload>> t) {
        if (self->finished->load() >= self->total)
          return;
        if (!t || !*t) {
          self->start(self);
          return;
        }
        task_result r;
        r.job_id = (*t)->job_id;
        r.task_id = (*t)->task_id;
        self->o->post_result(self->id, std::move(r),
                             [self, s](result<json::value>) {
                               auto us = std::chrono::duration<double, std::micro>(
                                           clock_type::now() - s)
                                           .count();
                               {
                                 std::lock_guard<std::mutex> g{*self->mtx};
                                 self->lat->push_back(us);
                               }
                               if (++*self->finished == self->total)
                                 self->done->set_value();
                               else
                                 self->start(self);
                             });
      });
    }
    poll_request poll_req() const {
      poll_request p;
      p.worker_id = id;
      p.timeout = std::chrono::milliseconds(1'000);
      return p;
    }
  };
  for (int i = 0; i < active; ++i) {
    auto l = std::make_shared<loop>(loop{&o, "h" + std::to_string(i),
                                         &finished, tasks, &all_done, &lat_mtx,
                                         &lat});
    l->start(l);
  }
  if (tasks > 0 && all_done.get_future().wait_for(std::chrono::minutes(10))
                     != std::future_status::ready)
    out.error = "timed out";
  auto secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  out.tasks_per_s = finished.load() / secs;
  out.commits = static_cast<int64_t>(o.commits());
  {
    std::lock_guard<std::mutex> g{lat_mtx};
    fill_percentiles(out, lat);
  }
  out.bytes_per_holon
    = holons > 0 ? static_cast<double>(rss_after - rss_before) / holons : 0;
  started->reset();
  std::filesystem::remove_all(dir);
  return out;
}

} // namespace

int run_dispatch(const std::vector<std::string>& args) {
  int holons = 1000;
  int tasks = 100'000;
  bool durable = false;
  bool as_json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--holons" && i + 1 < args.size())
      holons = std::stoi(args[++i]);
    else if (args[i] == "--tasks" && i + 1 < args.size())
      tasks = std::stoi(args[++i]);
    else if (args[i] == "--durable")
      durable = true;
    else if (args[i] == "--json")
      as_json = true;
    else {
      std::fprintf(stderr,
                   "usage: rxon bench dispatch --holons N --tasks M "
                   "[--durable] [--json]\n");
      return 2;
    }
  }
  if (holons < 1 || tasks < 0) {
    std::fprintf(stderr, "rxon bench dispatch: --holons must be >= 1\n");
    return 2;
  }
  auto r = durable ? run_durable(holons, tasks) : run_memory(holons, tasks);
  print_report(r, as_json);
  return r.error.empty() ? 0 : 1;
}

} // namespace rxon::bench
