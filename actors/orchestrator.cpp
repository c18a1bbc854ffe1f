#include "actors/orchestrator.hpp"

#include "actors/dispatcher_actor.hpp"
#include "actors/messages.hpp"
#include "actors/thread_policy.hpp"
#include "protocol/codec.hpp"
#include "storage/writer.hpp"

#include <caf/all.hpp>
#include <caf/detail/test_actor_clock.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <random>

namespace rxon::actors {

int64_t system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

struct orchestrator::impl {
  std::unique_ptr<storage::writer> writer;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  dispatcher_actor dispatcher;
  std::atomic<uint64_t> next_token{1};
  // Deterministic mode: the testing scheduler and the origin of its clock.
  caf::scheduler::test_coordinator* sched = nullptr;
  int64_t origin_ms = 0;
  caf::actor_clock::time_point origin_tp;

  int64_t sim_now() const {
    using namespace std::chrono;
    return origin_ms
           + duration_cast<milliseconds>(sched->clock().current_time
                                         - origin_tp)
                 .count();
  }
};

namespace {

/// Every thread CAF starts (scheduler workers, its clock) runs under
/// SCHED_BATCH.
struct batch_thread_hook final : caf::thread_hook {
  void init(caf::actor_system&) override {}
  void thread_started() override { use_batch_scheduling(); }
  void thread_terminates() override {}
};

struct recovered_state {
  std::vector<std::pair<storage::job_record, std::vector<storage::task_record>>>
      jobs;
  std::vector<storage::holon_record> holons;
};

result<recovered_state> load(storage::writer& w) {
  std::promise<result<recovered_state>> p;
  w.read([&p](storage::store& st) {
    auto tasks = st.unfinished_tasks();
    if (!tasks)
      return p.set_value(tasks.error());
    auto holons = st.holons();
    if (!holons)
      return p.set_value(holons.error());
    recovered_state out;
    std::map<std::string, std::vector<storage::task_record>> by_job;
    for (auto& t : *tasks)
      by_job[t.job_id].push_back(std::move(t));
    for (auto& [job_id, list] : by_job) {
      auto job = st.job(job_id);
      if (!job)
        return p.set_value(job.error());
      if (!*job)
        continue; // a task without its job: nothing can own its result
      out.jobs.emplace_back(std::move(**job), std::move(list));
    }
    out.holons = std::move(*holons);
    p.set_value(std::move(out));
  });
  return p.get_future().get();
}

} // namespace

orchestrator::orchestrator(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

orchestrator::~orchestrator() {
  if (impl_->sys) {
    caf::anon_send_exit(impl_->dispatcher, caf::exit_reason::user_shutdown);
    if (impl_->sched)
      run_until_idle();
    impl_->sys->await_all_actors_done();
    impl_->sys.reset();
  }
  impl_->writer.reset(); // commits what is pending, then joins
}

result<std::unique_ptr<orchestrator>>
orchestrator::start(orchestrator_options opts) {
  if (opts.deterministic) {
    // Simulated time starts where the given clock is, then only moves when
    // advance_to is called.
    auto origin = opts.clock ? opts.clock() : int64_t{1'700'000'000'000};
    opts.clock = [origin] { return origin; };
  }
  if (!opts.clock)
    opts.clock = system_clock_ms;
  if (opts.seed == 0)
    opts.seed = (static_cast<uint64_t>(std::random_device{}()) << 32)
                ^ std::random_device{}();
  auto p = std::make_unique<impl>();
  // The dispatcher reports signs of life as often as holon actors need
  // them (their TTL restarts), not at every poll and result.
  if (opts.dispatch.touch_every_ms == 0)
    opts.dispatch.touch_every_ms = std::max<int64_t>(opts.holon_ttl_ms / 4, 1);
  // Changes are described only for a store to write them.
  opts.dispatch.record_changes = !opts.db_path.empty();
  auto logic = std::make_unique<dispatcher_state>(opts.dispatch, opts.seed);
  recovered_state recovered;
  std::size_t recovered_tasks = 0;
  if (!opts.db_path.empty()) {
    std::function<void()> thread_init;
    if (opts.batch_scheduling)
      thread_init = [] { use_batch_scheduling(); };
    auto store = storage::open_sqlite_store(
        {opts.db_path, opts.synchronous, thread_init});
    if (!store)
      return std::move(store).error();
    storage::writer_options wopts;
    wopts.max_delay = opts.commit_delay;
    wopts.busy_gather = opts.busy_gather;
    wopts.thread_init = thread_init;
    p->writer = std::make_unique<storage::writer>(std::move(*store), wopts);
    auto loaded = load(*p->writer);
    if (!loaded)
      return std::move(loaded).error();
    recovered = std::move(*loaded);
    effects fx;
    auto now = opts.clock();
    for (auto& [job, tasks] : recovered.jobs) {
      recovered_tasks += tasks.size();
      logic->restore(job, std::move(tasks), now, fx);
    }
    // Requeued leases are written back before anything else happens.
    if (!fx.changes.empty())
      p->writer->submit(std::move(fx.changes));
    // The observer (an uplink) learns which of its tasks came back, and
    // which timed out while the process was down.
    if (opts.observer)
      for (auto& n : fx.notices)
        opts.observer(std::move(n));
  }
  p->cfg.set("scheduler.max-threads", opts.scheduler_threads);
  if (opts.batch_scheduling && !opts.deterministic)
    p->cfg.add_thread_hook<batch_thread_hook>();
  // What holon actors and their supervisors exchange can cross a network
  // link (a subtree on another node): give it type names.
  p->cfg.add_message_type<spawn_child_msg>("rxon.spawn_child");
  p->cfg.add_message_type<holon_up_msg>("rxon.holon_up");
  p->cfg.add_message_type<command_msg>("rxon.command");
  p->cfg.add_message_type<worker_registration>("rxon.worker_registration");
  p->cfg.set("logger.verbosity", caf::atom("quiet"));
  // Work sharing: idle scheduler threads block on a condition variable.
  // Work stealing makes them poll with 50 us sleeps for a while after each
  // burst, which on a 2-core host takes CPU from the listener and the
  // storage thread (bench http: +20% tasks/s with sharing).
  p->cfg.set("scheduler.policy",
             opts.deterministic ? caf::atom("testing") : caf::atom("sharing"));
  p->sys = std::make_unique<caf::actor_system>(p->cfg);
  if (opts.deterministic) {
    p->sched
        = &dynamic_cast<caf::scheduler::test_coordinator&>(p->sys->scheduler());
    p->origin_ms = opts.clock();
    p->origin_tp = p->sched->clock().current_time;
    opts.clock = [raw = p.get()] { return raw->sim_now(); };
  }
  dispatcher_options dopts;
  dopts.dispatch = opts.dispatch;
  dopts.holon_ttl_ms = opts.holon_ttl_ms;
  dopts.clock = opts.clock;
  dopts.writer = p->writer.get();
  dopts.max_write_backlog = opts.max_write_backlog;
  dopts.seed = opts.seed;
  dopts.observer = std::move(opts.observer);
  p->dispatcher = p->sys->spawn(dispatcher, std::move(logic), dopts);
  // Holons registered before the restart come back with a fresh TTL:
  // parents before children (a parent is registered before its children).
  std::stable_sort(recovered.holons.begin(), recovered.holons.end(),
                   [](const auto& x, const auto& y) {
                     return x.registered_ms < y.registered_ms;
                   });
  // Recovery is complete only once they are back: wait (bounded) for each.
  std::vector<std::future<void>> back;
  for (auto& h : recovered.holons) {
    auto reg = from_json<worker_registration>(h.registration);
    if (!reg)
      continue;
    auto done = std::make_shared<std::promise<void>>();
    back.push_back(done->get_future());
    caf::anon_send(p->dispatcher, register_msg{std::move(*reg), h.parent_id,
                                               [done](result<json::value>) {
                                                 done->set_value();
                                               }});
  }
  if (p->sched)
    p->sched->run();
  for (auto& f : back)
    f.wait_for(std::chrono::seconds(30));
  std::unique_ptr<orchestrator> out{new orchestrator(std::move(p))};
  out->recovered_ = recovered_tasks;
  return out;
}

void orchestrator::drain() {
  caf::anon_send(impl_->dispatcher, drain_atom::value);
}

void orchestrator::stats(callback<dispatch_stats> done) {
  caf::anon_send(impl_->dispatcher, stats_msg{std::move(done)});
}

uint64_t orchestrator::commits() const noexcept {
  return impl_->writer ? impl_->writer->commits() : 0;
}

void orchestrator::flush() {
  if (!impl_->writer)
    return;
  // Let the dispatcher hand its pending changes to the writer first.
  std::promise<void> done;
  caf::anon_send(impl_->dispatcher, stats_msg{[&done](result<dispatch_stats>) {
                   done.set_value();
                 }});
  run_until_idle();
  done.get_future().wait();
  impl_->writer->flush();
}

std::size_t orchestrator::run_until_idle() {
  return impl_->sched ? impl_->sched->run() : 0;
}

int64_t orchestrator::now_ms() const {
  return impl_->sched ? impl_->sim_now() : system_clock_ms();
}

int64_t orchestrator::next_timer_ms() const {
  if (!impl_->sched)
    return INT64_MAX;
  const auto& schedule = impl_->sched->clock().schedule();
  if (schedule.empty())
    return INT64_MAX;
  using namespace std::chrono;
  auto at = schedule.begin()->first - impl_->origin_tp;
  // Round up so that advancing to it makes the timer due.
  return impl_->origin_ms + duration_cast<milliseconds>(at).count()
         + (at % milliseconds(1) != at.zero() ? 1 : 0);
}

void orchestrator::advance_to(int64_t ms) {
  if (!impl_->sched)
    return;
  auto delta = ms - impl_->sim_now();
  if (delta > 0)
    impl_->sched->clock().advance_time(std::chrono::milliseconds(delta));
  else
    impl_->sched->clock().advance_time(std::chrono::milliseconds(0));
}

void orchestrator::crash_holon(std::string id) {
  caf::anon_send(impl_->dispatcher, crash_atom::value, std::move(id));
}

void orchestrator::register_child(worker_registration reg,
                                  std::string parent_id,
                                  callback<json::value> done) {
  caf::anon_send(
      impl_->dispatcher,
      register_msg{std::move(reg), std::move(parent_id), std::move(done)});
}

void orchestrator::register_holon(worker_registration reg,
                                  callback<json::value> done) {
  register_child(std::move(reg), {}, std::move(done));
}

void orchestrator::poll(poll_request req,
                        callback<std::optional<task_payload>> done) {
  caf::anon_send(impl_->dispatcher, poll_msg{std::move(req), std::move(done)});
}

void orchestrator::return_task(std::string worker_id, std::string task_id) {
  caf::anon_send(impl_->dispatcher,
                 return_msg{std::move(worker_id), std::move(task_id)});
}

void orchestrator::post_result(std::string worker_id, task_result res,
                               callback<json::value> done) {
  caf::anon_send(
      impl_->dispatcher,
      result_msg{std::move(worker_id), std::move(res), std::move(done)});
}

void orchestrator::post_results(std::vector<result_post> batch) {
  if (batch.empty())
    return;
  results_msg msg;
  msg.items.reserve(batch.size());
  for (auto& r : batch)
    msg.items.push_back(
        {std::move(r.worker_id), std::move(r.res), std::move(r.done)});
  caf::anon_send(impl_->dispatcher, std::move(msg));
}

void orchestrator::heartbeat(std::string worker_id,
                             std::optional<rxon::heartbeat> hb,
                             callback<json::value> done) {
  caf::anon_send(
      impl_->dispatcher,
      heartbeat_msg{std::move(worker_id), std::move(hb), std::move(done)});
}

void orchestrator::post_event(std::string worker_id, worker_event ev,
                              callback<json::value> done) {
  caf::anon_send(impl_->dispatcher, event_msg{std::move(worker_id),
                                              std::move(ev), std::move(done)});
}

uint64_t orchestrator::attach_commands(std::string worker_id,
                                       command_sink sink) {
  auto token = impl_->next_token++;
  caf::anon_send(impl_->dispatcher,
                 attach_msg{std::move(worker_id), token, std::move(sink)});
  return token;
}

void orchestrator::detach_commands(std::string worker_id, uint64_t token) {
  caf::anon_send(impl_->dispatcher, detach_atom::value, std::move(worker_id),
                 token);
}

void orchestrator::submit(job_spec spec, callback<job_ack> done) {
  caf::anon_send(impl_->dispatcher,
                 submit_msg{std::move(spec), std::move(done)});
}

void orchestrator::client(int kind, std::string owner, std::string id,
                          callback<json::value> done) {
  client_msg msg{static_cast<client_msg::kind_t>(kind),
                 std::move(owner),
                 std::move(id),
                 {},
                 std::move(done)};
  caf::anon_send(impl_->dispatcher, std::move(msg));
}

void orchestrator::cancel_job(std::string owner, std::string job_id,
                              callback<json::value> done) {
  client(client_msg::cancel_job, std::move(owner), std::move(job_id),
         std::move(done));
}

void orchestrator::cancel_task(std::string owner, std::string task_id,
                               callback<json::value> done) {
  client(client_msg::cancel_task, std::move(owner), std::move(task_id),
         std::move(done));
}

void orchestrator::get_job(std::string owner, std::string job_id,
                           callback<json::value> done) {
  client(client_msg::get_job, std::move(owner), std::move(job_id),
         std::move(done));
}

void orchestrator::get_task(std::string owner, std::string task_id,
                            callback<json::value> done) {
  client(client_msg::get_task, std::move(owner), std::move(task_id),
         std::move(done));
}

void orchestrator::list_jobs(job_query q, callback<json::value> done) {
  client_msg msg{
      client_msg::list_jobs, q.owner, {}, std::move(q), std::move(done)};
  caf::anon_send(impl_->dispatcher, std::move(msg));
}

void orchestrator::list_holons(callback<json::value> done) {
  client(client_msg::list_holons, {}, {}, std::move(done));
}

void orchestrator::holarchy(callback<json::value> done) {
  client(client_msg::holarchy, {}, {}, std::move(done));
}

void orchestrator::subtree(uint64_t known_version, callback<subtree_view> done,
                           int64_t wait_ms) {
  caf::anon_send(impl_->dispatcher,
                 subtree_msg{known_version, wait_ms, std::move(done)});
}

void orchestrator::task_events(std::string owner, std::string task_id,
                               callback<json::value> done) {
  client(client_msg::task_events, std::move(owner), std::move(task_id),
         std::move(done));
}

void orchestrator::metrics(callback<std::string> done) {
  caf::anon_send(impl_->dispatcher, metrics_msg{std::move(done)});
}

} // namespace rxon::actors
