// The simulated holons' behaviour: what happens at each event.

#include "runtime/simulate/sim_driver.hpp"

#include <algorithm>
#include <chrono>

namespace rxon::runtime::simulate {

using namespace rxon::actors;

namespace {

constexpr int64_t arrival_slot_ms = 100;
constexpr const char* owner = "sim";

} // namespace

void sim_driver::schedule(int64_t at, ev kind, uint32_t node, uint32_t gen) {
  events_.push({at, seq_++, kind, node, gen});
}

void sim_driver::handle(const event& e) {
  switch (e.kind) {
  case ev::arrival:
    arrival_pending_ = false;
    arrive();
    return;
  case ev::subtree_loss:
    lose_subtree(e.node);
    return;
  default:
    break;
  }
  auto& h = holons_[e.node];
  if (!h.alive || h.gen != e.gen) {
    if (e.kind == ev::heartbeat)
      h.hb = false;
    return; // crashed or lost since it was scheduled
  }
  switch (e.kind) {
  case ev::complete:
    complete(e.node);
    return;
  case ev::crash:
    crash(e.node);
    return;
  case ev::repoll:
    poll(e.node);
    return;
  case ev::heartbeat:
    heartbeat(e.node);
    return;
  default:
    return;
  }
}

void sim_driver::arrive() {
  if (opts_.arrival_rate <= 0) {
    // A batch, kept within a window of outstanding tasks so that memory is
    // bounded by the window, not by the batch.
    auto window = opts_.window > 0
                      ? opts_.window
                      : std::max<std::size_t>(2 * tree_.leaves, opts_.job_size);
    while (s_.tasks < opts_.tasks && s_.tasks - s_.completed < window)
      submit_job(static_cast<std::size_t>(
          std::min<uint64_t>(opts_.job_size, opts_.tasks - s_.tasks)));
    return;
  }
  if (now() >= arrivals_end_ || s_.tasks >= opts_.tasks) {
    arrivals_done_ = true;
    return;
  }
  std::poisson_distribution<uint64_t> arrivals(opts_.arrival_rate
                                               * arrival_slot_ms / 1000.0);
  auto n = std::min<uint64_t>(arrivals(rng_), opts_.tasks - s_.tasks);
  while (n > 0) {
    auto k = std::min<uint64_t>(n, opts_.job_size);
    submit_job(static_cast<std::size_t>(k));
    n -= k;
  }
  schedule(now() + arrival_slot_ms, ev::arrival);
  arrival_pending_ = true;
}

void sim_driver::submit_job(std::size_t n) {
  job_spec job;
  job.owner = owner;
  job.tasks.reserve(n);
  auto first = s_.tasks;
  const auto& types = task_types();
  for (std::size_t k = 0; k < n; ++k) {
    auto u = unit_(rng_);
    auto pick = static_cast<std::size_t>(
        std::lower_bound(type_cdf_.begin(), type_cdf_.end(), u)
        - type_cdf_.begin());
    const auto at = std::min(pick, types_.size() - 1);
    const auto& tt = types[types_[at]];
    task_spec t;
    t.type = tt.name;
    t.params = json::object{{"i", first + k}};
    // Attempts are used up by lease expiries (dropped results, lost
    // subtrees); injected failures must not make tasks fail for good.
    t.max_attempts = 1000;
    t.requirements = type_needs_[at];
    job.tasks.push_back(std::move(t));
  }
  s_.tasks += n;
  book_.add(n, now());
  orch_->submit(std::move(job), [this, first, n](result<job_ack> r) {
    if (!r) {
      failure_ = error{r.error().code, "submit: " + r.error().message};
      return;
    }
    if (first != book_.ids_known() || r->task_ids.size() != n) {
      failure_ = error{errc::internal, "submit: acknowledgements out of order"};
      return;
    }
    for (const auto& id : r->task_ids)
      book_.set_next_id(id);
  });
}

void sim_driver::poll(uint32_t h) {
  poll_request req;
  req.worker_id = tree_.nodes[h].id;
  req.timeout = std::chrono::milliseconds(opts_.poll_ms);
  auto gen = holons_[h].gen;
  orch_->poll(std::move(req),
              [this, h, gen](result<std::optional<task_payload>> r) {
                on_poll(h, gen, std::move(r));
              });
}

void sim_driver::on_poll(uint32_t h, uint32_t gen,
                         result<std::optional<task_payload>> r) {
  auto& hs = holons_[h];
  // A task delivered to a dead holon stays leased to it until the
  // orchestrator notices (TTL) and requeues it: as on a real network.
  if (!hs.alive || hs.gen != gen)
    return;
  if (!r) {
    if (r.error().code == errc::not_found)
      reregister(h); // removed after too many restarts
    else
      schedule(now() + opts_.restart_delay_ms, ev::repoll, h, gen);
    return;
  }
  if (!*r) {
    poll(h); // the long poll timed out
    return;
  }
  begin_task(h, **r);
}

void sim_driver::begin_task(uint32_t h, task_payload& t) {
  auto& hs = holons_[h];
  const auto* i = t.params.find("i");
  if (!i || !i->is_integral()) {
    failure_ = error{errc::internal, "a delivered task lost its index"};
    return;
  }
  auto idx = static_cast<uint32_t>(i->as_double());
  if (book_.flags(idx) & task_book::delivered)
    ++s_.requeues;
  book_.set(idx, task_book::delivered);
  const task_type* tt = &task_types()[0];
  for (const auto& x : task_types())
    if (x.name == t.type)
      tt = &x;
  auto ms = static_cast<double>(tt->mean_ms) * (0.5 + unit_(rng_))
            * static_cast<double>(tree_.nodes[h].speed);
  auto dur = std::max<int64_t>(static_cast<int64_t>(ms), 1);
  hs.busy = true;
  hs.started = now();
  hs.task = idx;
  hs.job_id = std::move(t.job_id);
  hs.task_id = std::move(t.task_id);
  if (unit_(rng_) < opts_.fail_crash)
    schedule(now() + static_cast<int64_t>(double(dur) * unit_(rng_)), ev::crash,
             h, hs.gen);
  else
    schedule(now() + dur, ev::complete, h, hs.gen);
  // Long tasks: heartbeat meanwhile, as a worker's heartbeat loop does.
  if (dur > opts_.holon_ttl_ms / 3 && !hs.hb) {
    hs.hb = true;
    schedule(now() + opts_.holon_ttl_ms / 3, ev::heartbeat, h, hs.gen);
  }
}

void sim_driver::complete(uint32_t h) {
  auto& hs = holons_[h];
  hs.busy = false;
  hs.busy_ms += now() - hs.started;
  auto idx = hs.task;
  hs.task = no_task;
  if (unit_(rng_) < opts_.drop_results) {
    ++s_.dropped_results; // the lease expires and the task is requeued
  } else {
    auto& item = results_.emplace_back();
    item.worker_id = tree_.nodes[h].id;
    item.res.job_id = std::move(hs.job_id);
    item.res.task_id = std::move(hs.task_id);
    item.res.status = "success";
    item.done = [this, idx, h](result<json::value> r) {
      if (!r)
        return;
      const auto* st = r->find("status");
      if (st && st->is_string() && st->as_string() == "accepted")
        on_accepted(idx, h);
    };
    repolls_.emplace_back(h, hs.gen);
    return;
  }
  poll(h);
}

void sim_driver::flush_results() {
  if (results_.empty())
    return;
  auto n = results_.size();
  orch_->post_results(std::move(results_));
  results_ = {};
  results_.reserve(n); // the next instant is about as busy
  // A holon lost or crashed within the same instant does not poll.
  for (auto [h, gen] : repolls_)
    if (holons_[h].alive && holons_[h].gen == gen)
      poll(h);
  repolls_.clear();
}

void sim_driver::on_accepted(uint32_t idx, uint32_t h) {
  auto f = book_.flags(idx);
  if (f & task_book::completed)
    return;
  if (f & task_book::watched)
    ++s_.rescued;
  auto lat = now() - book_.submitted_at(idx);
  book_.complete(idx);
  ++s_.completed;
  auto t = now();
  last_progress_ms_ = t;
  s_.latency.add(lat);
  if (s_.levels.empty())
    s_.levels.resize(static_cast<std::size_t>(tree_.levels));
  auto& lv = s_.levels[static_cast<std::size_t>(tree_.nodes[h].level - 1)];
  lv.latency.add(lat);
  ++lv.completed;
  auto sec = static_cast<std::size_t>((t - t0_) / 1000);
  if (s_.throughput.size() <= sec)
    s_.throughput.resize(sec + 1, 0);
  ++s_.throughput[sec];
  if (opts_.arrival_rate <= 0 && !arrival_pending_ && s_.tasks < opts_.tasks) {
    arrival_pending_ = true;
    schedule(t, ev::arrival);
  }
}

void sim_driver::crash(uint32_t h) {
  auto& hs = holons_[h];
  ++s_.crashes;
  hs.busy = false;
  hs.busy_ms += now() - hs.started;
  hs.task = no_task;
  ++hs.gen;
  hs.hb = false;
  // The real mechanism: the holon's actor dies, its supervisor restarts it
  // (and requeues its lease) or, past the budget, removes it.
  orch_->crash_holon(tree_.nodes[h].id);
  schedule(now() + opts_.restart_delay_ms, ev::repoll, h, hs.gen);
}

void sim_driver::heartbeat(uint32_t h) {
  auto& hs = holons_[h];
  orch_->heartbeat(tree_.nodes[h].id, std::nullopt, [](result<json::value>) {});
  if (!tree_.nodes[h].leaf() || hs.busy)
    schedule(now() + std::max<int64_t>(opts_.holon_ttl_ms / 3, 1),
             ev::heartbeat, h, hs.gen);
  else
    hs.hb = false;
}

void sim_driver::lose_subtree(uint32_t root) {
  // The machines of this subtree vanish: no more heartbeats, polls or
  // results. The orchestrator finds out through the TTL.
  ++s_.subtrees_lost;
  std::vector<uint32_t> stack{root};
  while (!stack.empty()) {
    auto i = stack.back();
    stack.pop_back();
    auto& hs = holons_[i];
    if (!hs.alive)
      continue;
    ++s_.holons_lost;
    lost_[i] = 1;
    hs.alive = false;
    ++hs.gen;
    if (hs.busy) {
      hs.busy = false;
      hs.busy_ms += now() - hs.started;
      if (!(book_.flags(hs.task) & task_book::completed))
        book_.set(hs.task, task_book::watched);
      hs.task = no_task;
    }
    const auto& n = tree_.nodes[i];
    for (uint32_t c = 0; c < n.child_count; ++c)
      stack.push_back(n.first_child + c);
  }
}

void sim_driver::reregister(uint32_t h) {
  ++s_.reregistrations;
  auto gen = holons_[h].gen;
  orch_->register_child(registration_of(tree_.nodes[h]), parent_id(h),
                        [this, h, gen](result<json::value> r) {
                          auto& hs = holons_[h];
                          if (!hs.alive || hs.gen != gen)
                            return;
                          if (r)
                            poll(h);
                          else
                            hs.alive = false; // its parent is gone too
                        });
}

} // namespace rxon::runtime::simulate
