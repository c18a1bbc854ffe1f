// `rxon bench dispatch --holons N --tasks M [--durable] [--json]`
//
// Without --durable: matching and dispatch only, in memory, on the
// dispatcher's logic (the pull path). N holons (20 resource profiles, 100
// task types) register and M tasks are submitted in jobs of 1000, untimed.
// Timed: holons poll round robin (timeout 0) until every task is handed
// out; each poll is dispatcher_state::poll = best_task_for + deliver (task
// payload built, lease recorded). tasks_per_s = dispatched / wall time of
// that loop; p50/p99 are per poll; bytes_per_holon is the RSS growth per
// add_holon over the second half of the holons. No results are posted.
//
// With --durable: the full lifecycle through the actor runtime with SQLite
// (WAL, synchronous=NORMAL): N holons register (one holon actor each; at
// most 1024 registrations in flight), bytes_per_holon = RSS growth over
// the second half of the registrations (the first half warms allocators,
// caches and threads; rss_growth_bytes has the total), heap_bytes_per_holon
// the same from jemalloc's live-heap count. Timed: M tasks, built
// beforehand as the clients' work, are submitted in jobs of 1000 at once,
// and one worker loop per active holon (min(N, 2048)) polls, posts the
// result and waits for its commit before polling again (a single-slot
// worker). tasks_per_s = results committed / wall time; p50/p99 = poll
// to result commit per task, over the polls issued once every job was
// accepted (the first polls of the 2048 loops wait behind the whole
// submission, which at 200k tasks made p99 that wait, ~0.5 s, instead of
// the dispatch cycle). --no-batch-scheduling runs the actor and storage
// threads under the default policy instead of SCHED_BATCH
// (orchestrator_options::batch_scheduling).
//
// Both modes report cpu_us_per_task: the CPU time of every thread of the
// process over the timed phase, per task. It is the figure to compare
// across runs on a shared machine, where tasks_per_s swings with the load.

#include "bench/dispatch_bench.hpp"

#include "actors/dispatcher_state.hpp"
#include "actors/orchestrator.hpp"
#include "bench/bench_util.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
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

hardware_device gpu_device(int vram_gb) {
  hardware_device d;
  d.type = "gpu";
  d.properties = json::object{{"vram_gb", vram_gb}};
  return d;
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
  auto d = gpu_device(8 + 4 * p);
  d.model = "RTX " + std::to_string(4000 + p);
  res.devices = std::vector<hardware_device>{d};
  res.properties = json::object{{"cpu_cores", 8 + p}};
  r.resources = std::move(res);
  return r;
}

/// A task any holon with index < active can run: a random type of a random
/// active holon's block, with no requirement or a GPU of 8/16/32 GB that
/// the active set offers.
/// A GPU with `vram` GB (8, 16 or 32): one copy per level, shared by the
/// tasks that ask for it, as a client submitting many alike tasks does.
std::shared_ptr<const resources> gpu_need(int vram) {
  static const auto needs = [] {
    std::map<int, std::shared_ptr<const resources>> m;
    for (int gb : {8, 16, 32}) {
      resources req;
      req.devices = std::vector<hardware_device>{gpu_device(gb)};
      m[gb] = std::make_shared<const resources>(std::move(req));
    }
    return m;
  }();
  return needs.at(vram);
}

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
  if (vram > 0)
    t.requirements = gpu_need(vram);
  return t;
}

/// A job of up to 1000 tasks (the bench's submission unit). Reserved up
/// front: growing the vector would move each 600-byte spec about twice.
job_spec make_job(std::mt19937_64& rng, int active, int remaining) {
  job_spec spec{"bench", {}, {}};
  const int n = std::min(remaining, 1000);
  spec.tasks.reserve(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k)
    spec.tasks.push_back(make_task(rng, active));
  return spec;
}

report run_memory(int holons, int tasks) {
  dispatch_config cfg;
  cfg.retain_terminal = 10'000;
  cfg.max_tasks_per_job = 1'000'000;
  dispatcher_state d{cfg, 7};
  std::mt19937_64 rng{11};
  int64_t now = 1'700'000'000'000;
  auto mem_before = memory_now();
  auto mem_half = mem_before;
  for (int i = 0; i < holons; ++i) {
    if (i == holons / 2)
      mem_half = memory_now();
    d.add_holon(make_holon(i), now);
  }
  auto mem_after = memory_now();
  // Untimed: the whole workload waits in the pending queues.
  for (int sent = 0; sent < tasks;) {
    auto spec = make_job(rng, holons, tasks - sent);
    sent += static_cast<int>(spec.tasks.size());
    effects fx;
    if (!d.submit(std::move(spec), now, fx)) {
      report out;
      out.error = "submit failed";
      return out;
    }
  }
  std::vector<poll_request> reqs(static_cast<size_t>(holons));
  for (int i = 0; i < holons; ++i) {
    reqs[static_cast<size_t>(i)].worker_id = "h" + std::to_string(i);
    reqs[static_cast<size_t>(i)].timeout = std::chrono::milliseconds(0);
  }
  // Timed: holons poll round robin with timeout 0; each poll is one
  // best_task_for + deliver (a hit) or an empty answer (a miss, when the
  // holon's queues ran dry). Results are not posted: leases pile up, which
  // only the lease bookkeeping sees.
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(tasks));
  effects fx;
  int64_t polls = 0;
  int64_t hits = 0;
  const int64_t max_polls = 4 * static_cast<int64_t>(tasks) + holons;
  auto cpu0 = cpu_seconds();
  auto threads0 = thread_cpu_seconds();
  auto t0 = clock_type::now();
  for (int64_t k = 0; hits < tasks && k < max_polls; ++k) {
    fx.answers.clear();
    fx.touched.clear();
    auto s = clock_type::now();
    d.poll(static_cast<poll_id>(k + 1), reqs[static_cast<size_t>(k % holons)],
           now, fx);
    lat.push_back(
        std::chrono::duration<double, std::micro>(clock_type::now() - s)
            .count());
    ++polls;
    for (const auto& a : fx.answers)
      hits += a.outcome && *a.outcome ? 1 : 0;
  }
  auto secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  auto cpu = cpu_seconds() - cpu0;
  auto threads1 = thread_cpu_seconds();
  report out;
  out.holons = holons;
  out.tasks = tasks;
  out.durable = false;
  out.dispatched = static_cast<int64_t>(d.stats().dispatched);
  out.polls = polls;
  out.tasks_per_s = static_cast<double>(out.dispatched) / secs;
  out.cpu_us_per_task = out.dispatched > 0
                            ? cpu * 1e6 / static_cast<double>(out.dispatched)
                            : 0;
  out.thread_us_per_task = thread_cpu_json(threads0, threads1,
                                           static_cast<double>(out.dispatched));
  fill_percentiles(out, lat);
  fill_memory(out, holons, mem_before, mem_half, mem_after);
  if (out.dispatched < tasks)
    out.error = "not every task was dispatched";
  return out;
}

report run_durable(int holons, int tasks, bool batch_scheduling) {
  auto dir = std::filesystem::temp_directory_path()
             / ("rxon-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  orchestrator_options opts;
  opts.db_path = (dir / "bench.db").string();
  opts.holon_ttl_ms = 3'600'000;
  opts.dispatch.retain_terminal = 10'000;
  opts.dispatch.max_tasks_per_job = 1'000'000;
  opts.batch_scheduling = batch_scheduling;
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
  auto mem_before = memory_now();
  auto mem_half = mem_before;
  // Holons arrive with at most 1024 registrations in flight (each is
  // acknowledged after its commit), not all at once: a burst of 100k queued
  // registrations would measure the mailbox, not the holons.
  auto register_range = [&](int from, int to) {
    constexpr int window = 1024;
    std::mutex mtx;
    std::condition_variable cv;
    int in_flight = 0;
    int acked = 0;
    for (int i = from; i < to; ++i) {
      {
        std::unique_lock<std::mutex> lock{mtx};
        cv.wait(lock, [&] { return in_flight < window; });
        ++in_flight;
      }
      o.register_holon(make_holon(i), [&](result<json::value>) {
        std::lock_guard<std::mutex> g{mtx};
        --in_flight;
        ++acked;
        cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock{mtx};
    cv.wait(lock, [&] { return acked == to - from; });
  };
  register_range(0, holons / 2);
  o.flush();
  mem_half = memory_now();
  register_range(holons / 2, holons);
  o.flush();
  auto mem_after = memory_now();
  const int active = std::min(holons, 2048);
  std::mt19937_64 rng{13};
  std::atomic<int> finished{0};
  std::promise<void> all_done;
  std::mutex lat_mtx;
  std::vector<double> lat;       // polls issued once every job was accepted
  std::vector<double> lat_early; // polls that waited behind the submission
  lat.reserve(static_cast<size_t>(tasks));
  std::atomic<bool> accepted{false};
  // The jobs are the caller's input, built before the clock starts: this
  // times the orchestrator's API (submit, assign, result), not a client
  // filling 200 x 1000 specs, 120 MB of fresh memory at 200k tasks, on the
  // same two cores. Parsing them off the wire is `rxon bench http`'s part.
  // (The dispatcher then reads them out of cache, a little slower.)
  std::vector<job_spec> jobs;
  for (int sent = 0; sent < tasks;) {
    jobs.push_back(make_job(rng, active, tasks - sent));
    sent += static_cast<int>(jobs.back().tasks.size());
  }
  auto cpu0 = cpu_seconds();
  auto threads0 = thread_cpu_seconds();
  auto t0 = clock_type::now();
  // Submit in jobs of 1000 tasks; each is acknowledged after its commit.
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    // Acknowledged in order: the last job's ack means all were accepted.
    o.submit(std::move(jobs[j]),
             [&accepted, last = j + 1 == jobs.size()](result<job_ack>) {
               if (last)
                 accepted = true;
             });
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
    std::vector<double>* lat_early;
    std::atomic<bool>* accepted;
    void start(std::shared_ptr<loop> self) {
      if (finished->load() >= total)
        return;
      auto s = clock_type::now();
      bool steady = accepted->load();
      o->poll(
          poll_req(), [self, s, steady](result<std::optional<task_payload>> t) {
            if (self->finished->load() >= self->total)
              return;
            if (!t || !*t) {
              self->start(self);
              return;
            }
            task_result r;
            r.job_id = std::move((*t)->job_id); // the payload is ours
            r.task_id = std::move((*t)->task_id);
            self->o->post_result(
                self->id, std::move(r), [self, s, steady](result<json::value>) {
                  auto us = std::chrono::duration<double, std::micro>(
                                clock_type::now() - s)
                                .count();
                  {
                    std::lock_guard<std::mutex> g{*self->mtx};
                    (steady ? self->lat : self->lat_early)->push_back(us);
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
    auto l = std::make_shared<loop>(loop{&o, "h" + std::to_string(i), &finished,
                                         tasks, &all_done, &lat_mtx, &lat,
                                         &lat_early, &accepted});
    l->start(l);
  }
  if (tasks > 0
      && all_done.get_future().wait_for(std::chrono::minutes(10))
             != std::future_status::ready)
    out.error = "timed out";
  auto secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  out.tasks_per_s = finished.load() / secs;
  if (finished.load() > 0) {
    out.cpu_us_per_task = (cpu_seconds() - cpu0) * 1e6 / finished.load();
    out.thread_us_per_task
        = thread_cpu_json(threads0, thread_cpu_seconds(), finished.load());
  }
  out.commits = static_cast<int64_t>(o.commits());
  {
    // A run too short for any poll after the submission reports them all.
    std::lock_guard<std::mutex> g{lat_mtx};
    fill_percentiles(out, lat.empty() ? lat_early : lat);
  }
  fill_memory(out, holons, mem_before, mem_half, mem_after);
  started->reset();
  std::filesystem::remove_all(dir);
  return out;
}

} // namespace

int run_dispatch(const std::vector<std::string>& args) {
  int holons = 1000;
  int tasks = 100'000;
  bool durable = false;
  bool batch_scheduling = true;
  bool as_json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--holons" && i + 1 < args.size())
      holons = std::stoi(args[++i]);
    else if (args[i] == "--tasks" && i + 1 < args.size())
      tasks = std::stoi(args[++i]);
    else if (args[i] == "--durable")
      durable = true;
    else if (args[i] == "--no-batch-scheduling")
      batch_scheduling = false;
    else if (args[i] == "--json")
      as_json = true;
    else {
      std::fprintf(stderr, "usage: rxon bench dispatch --holons N --tasks M "
                           "[--durable [--no-batch-scheduling]] [--json]\n");
      return 2;
    }
  }
  if (holons < 1 || tasks < 0) {
    std::fprintf(stderr, "rxon bench dispatch: --holons must be >= 1\n");
    return 2;
  }
  auto r = durable ? run_durable(holons, tasks, batch_scheduling)
                   : run_memory(holons, tasks);
  print_report(r, as_json);
  return r.error.empty() ? 0 : 1;
}

} // namespace rxon::bench
