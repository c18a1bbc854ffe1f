#include "runtime/simulate/simulator.hpp"

#include "runtime/simulate/keep_freed_pages.hpp"
#include "runtime/simulate/sim_driver.hpp"

#include <algorithm>
#include <chrono>

namespace rxon::runtime::simulate {

using namespace rxon::actors;

namespace {

/// What a task type asks of a leaf: a GPU with `vram` GB; null for 0.
std::shared_ptr<const resources> gpu_need(int32_t vram) {
  if (vram <= 0)
    return nullptr;
  resources need;
  need.devices = std::vector<hardware_device>{gpu_device(vram)};
  return std::make_shared<const resources>(std::move(need));
}

} // namespace

sim_driver::sim_driver(const sim_options& opts, topology tree,
                       progress_fn progress)
    : opts_(opts), tree_(std::move(tree)), progress_(std::move(progress)),
      rng_(opts.seed) {
  holons_.resize(tree_.nodes.size());
  lost_.assign(tree_.nodes.size(), 0);
}

result<sim_run> sim_driver::run() {
  auto wall0 = std::chrono::steady_clock::now();
  keep_freed_pages();
  if (auto st = start(); !st)
    return st.error();
  if (auto st = register_all(); !st)
    return st.error();
  auto setup_s
      = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0)
            .count();
  t0_ = now();
  last_progress_ms_ = t0_;
  // Every leaf long-polls; orchestrator holons heartbeat, spread over a
  // third of the TTL.
  auto hb_every = std::max<int64_t>(opts_.holon_ttl_ms / 3, 1);
  for (uint32_t h = 0; h < holons_.size(); ++h) {
    if (tree_.nodes[h].leaf())
      poll(h);
    else
      schedule(t0_ + 1 + static_cast<int64_t>(unit_(rng_) * double(hb_every)),
               ev::heartbeat, h, 0);
  }
  schedule(t0_, ev::arrival);
  arrival_pending_ = true;
  if (opts_.arrival_rate > 0)
    arrivals_end_ = t0_ + static_cast<int64_t>(opts_.duration_s * 1000);
  deadline_ = t0_ + static_cast<int64_t>(opts_.max_sim_s * 1000);
  schedule_failures();
  orch_->run_until_idle();
  uint64_t steps = 0;
  uint64_t last_pct = 101;
  while (!finished() && failure_) {
    auto next_ev = events_.empty() ? INT64_MAX : events_.top().at;
    auto t = std::min(next_ev, orch_->next_timer_ms());
    if (t == INT64_MAX || t > deadline_)
      break;
    // Nothing completes for long (e.g. only holons that cannot run the
    // remaining tasks are left): stop instead of idling to the deadline.
    if (t - last_progress_ms_ > 10 * (opts_.lease_ms + opts_.holon_ttl_ms))
      break;
    orch_->advance_to(std::max(t, now()));
    while (!events_.empty() && events_.top().at <= now()) {
      auto e = events_.top();
      events_.pop();
      handle(e);
    }
    flush_results();
    orch_->run_until_idle();
    if (progress_ && (++steps & 1023) == 0) {
      auto total = std::max<uint64_t>(s_.tasks, 1);
      auto pct = s_.completed * 100 / total;
      if (pct != last_pct) {
        last_pct = pct;
        progress_(s_.completed, s_.tasks);
      }
    }
  }
  if (!failure_)
    return failure_.error();
  if (auto st = tally(); !st)
    return st.error();
  auto out = finish();
  out.stats.wall_s
      = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0)
            .count();
  out.stats.setup_s = setup_s;
  out.stats.cpu_s = cpu_seconds();
  out.stats.rss_bytes = peak_rss_bytes();
  return out;
}

status sim_driver::start() {
  orchestrator_options o;
  o.deterministic = true;
  o.seed = opts_.seed;
  o.holon_ttl_ms = opts_.holon_ttl_ms;
  o.dispatch.lease_ms = opts_.lease_ms;
  o.dispatch.max_poll_ms = opts_.poll_ms;
  // Attempts are consumed by lease expiries (dropped results); keep
  // injected failures from turning into permanent task failures.
  o.dispatch.max_tasks_per_job = std::max<std::size_t>(opts_.job_size, 1);
  // Nobody reads finished tasks back (a simulation has no clients): they
  // leave memory as they finish, while their entries are still in cache.
  o.dispatch.retain_terminal = 0;
  auto orch = orchestrator::start(std::move(o));
  if (!orch)
    return orch.error();
  orch_ = std::move(*orch);
  // The workload only uses task types some leaf can run.
  int32_t max_vram = 0;
  for (const auto& n : tree_.nodes)
    if (n.leaf())
      max_vram = std::max(max_vram, n.gpu_vram);
  double acc = 0;
  const auto& types = task_types();
  for (uint32_t i = 0; i < types.size(); ++i)
    if (types[i].gpu_vram <= max_vram) {
      types_.push_back(i);
      type_needs_.push_back(gpu_need(types[i].gpu_vram));
      acc += types[i].weight;
      type_cdf_.push_back(acc);
    }
  for (auto& c : type_cdf_)
    c /= acc;
  s_.seed = opts_.seed;
  s_.holons = tree_.nodes.size();
  s_.leaves = tree_.leaves;
  return {};
}

status sim_driver::register_all() {
  // Level by level: a parent's actor must be up before its children.
  uint64_t errors = 0;
  std::string first_error;
  std::size_t i = 0;
  for (int level = 1; level <= tree_.levels; ++level) {
    for (; i < tree_.nodes.size() && tree_.nodes[i].level == level; ++i) {
      orch_->register_child(registration_of(tree_.nodes[i]),
                            parent_id(static_cast<uint32_t>(i)),
                            [&](result<json::value> r) {
                              if (!r && errors++ == 0)
                                first_error = r.error().message;
                            });
      if ((i & 4095) == 0)
        orch_->run_until_idle(); // bounds the mailbox
    }
    orch_->run_until_idle();
  }
  if (i != tree_.nodes.size())
    return error{errc::internal, "topology nodes are not in level order"};
  if (errors > 0)
    return error{errc::internal,
                 std::to_string(errors)
                     + " holons failed to register: " + first_error};
  return {};
}

void sim_driver::schedule_failures() {
  if (opts_.fail_subtree <= 0)
    return;
  // Candidates: the parents of leaves (whole subtrees), or leaves in a
  // one-level holarchy.
  int level = std::max(1, tree_.levels - 1);
  std::vector<uint32_t> cands;
  for (uint32_t i = 0; i < tree_.nodes.size(); ++i)
    if (tree_.nodes[i].level == level)
      cands.push_back(i);
  // When the run would end: arrivals end, or the batch's work spread over
  // the leaves.
  double mean_ms = 0;
  for (std::size_t k = 0; k < types_.size(); ++k)
    mean_ms += task_types()[types_[k]].mean_ms
               * (type_cdf_[k] - (k ? type_cdf_[k - 1] : 0.0));
  int64_t horizon = opts_.arrival_rate > 0
                        ? arrivals_end_ - t0_
                        : static_cast<int64_t>(
                              mean_ms * 1.3 * double(opts_.tasks)
                              / double(std::max<std::size_t>(tree_.leaves, 1)))
                              + 1;
  auto n = std::min<std::size_t>(static_cast<std::size_t>(opts_.fail_subtree),
                                 cands.size());
  for (std::size_t k = 0; k < n; ++k) {
    auto j
        = k + static_cast<std::size_t>(unit_(rng_) * double(cands.size() - k));
    std::swap(cands[k], cands[std::min(j, cands.size() - 1)]);
    auto at
        = t0_
          + static_cast<int64_t>((0.2 + 0.4 * unit_(rng_)) * double(horizon));
    schedule(at, ev::subtree_loss, cands[k], 0);
  }
}

bool sim_driver::finished() const {
  bool all_in
      = opts_.arrival_rate > 0 ? arrivals_done_ : s_.tasks >= opts_.tasks;
  return all_in && s_.completed >= s_.tasks;
}

status sim_driver::tally() {
  // Whatever the driver did not see complete is asked of the orchestrator:
  // failed, still pending (queued or leased), or lost (unknown to it).
  if (book_.ids_known() != s_.tasks)
    return error{errc::internal, "task ids missing for some submissions"};
  uint64_t asked = 0;
  uint64_t answered = 0;
  for (uint64_t i = 0; i < s_.tasks; ++i) {
    if (book_.flags(i) & task_book::completed)
      continue;
    ++asked;
    orch_->get_task(
        "sim", book_.id(i), [this, &answered](result<json::value> r) {
          ++answered;
          if (!r) {
            ++s_.lost;
            return;
          }
          const auto* st = r->find("state");
          auto state = st && st->is_string() ? st->as_string() : std::string{};
          if (state == "completed")
            ++s_.completed;
          else if (state == "failed" || state == "cancelled")
            ++s_.failed;
          else
            ++s_.pending;
        });
    if ((i & 4095) == 0)
      orch_->run_until_idle();
  }
  orch_->run_until_idle();
  // Unanswered (the runtime is gone) counts as lost too.
  s_.lost += asked - answered;
  return {};
}

std::string sim_driver::parent_id(uint32_t h) const {
  auto p = tree_.nodes[h].parent;
  return p < 0 ? std::string{} : tree_.nodes[static_cast<uint32_t>(p)].id;
}

sim_run sim_driver::finish() {
  sim_run out;
  s_.sim_ms = now() - t0_;
  auto span = static_cast<double>(std::max<int64_t>(s_.sim_ms, 1));
  const auto n = tree_.nodes.size();
  // Busy time and leaf count per subtree, children before parents.
  std::vector<double> busy(n, 0);
  std::vector<uint64_t> leaves(n, 0);
  for (std::size_t i = n; i-- > 0;) {
    const auto& node = tree_.nodes[i];
    auto& h = holons_[i];
    if (node.leaf()) {
      busy[i] = static_cast<double>(h.busy_ms)
                + (h.busy ? static_cast<double>(now() - h.started) : 0.0);
      leaves[i] = 1;
    }
    if (node.parent >= 0) {
      busy[static_cast<std::size_t>(node.parent)] += busy[i];
      leaves[static_cast<std::size_t>(node.parent)] += leaves[i];
    }
  }
  out.utilisation.resize(n);
  s_.levels.resize(static_cast<std::size_t>(tree_.levels));
  for (int l = 0; l < tree_.levels; ++l) {
    s_.levels[static_cast<std::size_t>(l)].level = l + 1;
    s_.levels[static_cast<std::size_t>(l)].util_min = 1e9;
  }
  for (std::size_t i = 0; i < n; ++i) {
    auto u = busy[i] / (double(std::max<uint64_t>(leaves[i], 1)) * span);
    out.utilisation[i] = static_cast<float>(u);
    auto& lv = s_.levels[static_cast<std::size_t>(tree_.nodes[i].level - 1)];
    ++lv.holons;
    lv.leaves += tree_.nodes[i].leaf() ? 1 : 0;
    lv.util_mean += u;
    lv.util_min = std::min(lv.util_min, u);
    lv.util_max = std::max(lv.util_max, u);
  }
  for (auto& lv : s_.levels) {
    if (lv.holons > 0)
      lv.util_mean /= double(lv.holons);
    else
      lv.util_min = 0;
  }
  if (opts_.holarchy) {
    orch_->holarchy([&out](result<json::value> r) {
      if (r)
        out.holarchy = std::move(*r);
    });
    orch_->run_until_idle();
  }
  out.stats = std::move(s_);
  out.lost = std::move(lost_);
  out.tree = std::move(tree_);
  return out;
}

result<sim_run> run_simulation(const sim_options& opts, progress_fn progress) {
  result<topology> tree = error{errc::internal, "no topology"};
  if (opts.topology.empty()) {
    tree = make_tree(opts.levels, opts.fanout);
  } else {
    std::string text;
    if (auto* f = std::fopen(opts.topology.c_str(), "rb")) {
      char buf[65536];
      std::size_t k;
      while ((k = std::fread(buf, 1, sizeof buf, f)) > 0)
        text.append(buf, k);
      std::fclose(f);
    } else {
      return error{errc::not_found,
                   "--topology: cannot read '" + opts.topology + "'"};
    }
    auto doc = json::parse(text);
    if (!doc)
      return error{doc.error().code, "--topology: " + doc.error().message};
    tree = parse_topology(*doc);
  }
  if (!tree)
    return std::move(tree).error();
  std::mt19937_64 fleet_rng(opts.seed ^ 0x9e3779b97f4a7c15ULL);
  assign_fleet(*tree, opts.slow_fraction, fleet_rng);
  auto d = std::make_shared<sim_driver>(opts, std::move(*tree),
                                        std::move(progress));
  auto run = d->run();
  if (run)
    run->runtime = std::move(d);
  return run;
}

} // namespace rxon::runtime::simulate
