#include "runtime/uplink/uplink.hpp"

#include "protocol/constants.hpp"
#include "runtime/log.hpp"
#include "runtime/peer_link.hpp"

#include <future>

namespace rxon::runtime {

namespace {

using namespace std::chrono_literals;

/// Asks the local orchestrator and waits (bounded): uplink threads are
/// not actor threads, so they may block.
template <class T, class Call>
result<T> ask(Call&& call, std::chrono::milliseconds timeout = 5s) {
  auto p = std::make_shared<std::promise<result<T>>>();
  auto f = p->get_future();
  call([p](result<T> r) { p->set_value(std::move(r)); });
  if (f.wait_for(timeout) != std::future_status::ready)
    return error{errc::timeout, "the local orchestrator did not answer"};
  return f.get();
}

} // namespace

uplink::uplink(uplink_options opts) : opts_(std::move(opts)) {}

uplink::~uplink() {
  stop(0ms);
}

std::function<void(actors::task_notice&&)> uplink::observer() {
  return [this](actors::task_notice&& n) { on_notice(std::move(n)); };
}

status uplink::start(actors::orchestrator& local) {
  auto topts = peer_transport_options(opts_.tls_ca, false, opts_.max_backoff);
  topts.signing_secret = opts_.secret;
  auto t = blocking_transport::create(opts_.url, opts_.id, opts_.token,
                                      std::move(topts));
  if (!t)
    return t.error();
  transport_ = std::move(*t);
  transport_->connect();
  local_ = &local;
  log::info("uplink starting", {{"url", opts_.url}, {"uplink_id", opts_.id}});
  pull_ = std::thread([this] { pull_loop(); });
  for (int i = 0; i < std::max(opts_.posters, 1); ++i)
    pushers_.emplace_back([this] { push_loop(); });
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
  return {};
}

void uplink::stop_pulling() {
  std::lock_guard<std::mutex> guard{mtx_};
  pulling_ = false;
}

void uplink::stop(std::chrono::milliseconds flush) {
  {
    std::unique_lock<std::mutex> lock{mtx_};
    pulling_ = false;
    cv_.wait_for(lock, flush,
                 [this] { return results_.empty() && posting_ == 0; });
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto* t : {&pull_, &heartbeat_})
    if (t->joinable())
      t->join();
  for (auto& t : pushers_)
    t.join();
  pushers_.clear();
  if (transport_)
    transport_->close();
}

void uplink::backoff_wait(std::chrono::milliseconds& delay) {
  std::unique_lock<std::mutex> lock{mtx_};
  cv_.wait_for(lock, delay, [this] { return stopping_; });
  delay = std::min(delay * 2, opts_.max_backoff);
}

// -- local notices (actor or start thread: queue only) ----------------------

void uplink::on_notice(actors::task_notice&& n) {
  auto parent = parent_of(n.job_metadata);
  if (!parent)
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  auto f = flights_.find(parent->task_id);
  switch (n.what) {
  case actors::task_notice::kind::assigned:
    if (f != flights_.end())
      f->second.placed = true;
    break;
  case actors::task_notice::kind::recovered:
    // A task pulled before a restart: known again, so that the parent's
    // cancel reaches it. Not subject to the placement deadline; it waits
    // for the leaves to reconnect.
    if (f == flights_.end()) {
      auto& nf = flights_[parent->task_id];
      nf.parent_job_id = parent->job_id;
      nf.local_task_id = n.task.task_id;
      nf.pulled_at = clock::now();
    }
    break;
  case actors::task_notice::kind::event:
    // Best effort: events never hold back results.
    if (n.event && events_.size() < 1000
        && (f == flights_.end() || !f->second.cancel_requested))
      events_.push_back(upward_event(*n.event, *parent, opts_.id));
    break;
  case actors::task_notice::kind::finished: {
    // Unknown flights are tasks already returned as RESOURCE_EXHAUSTED
    // (cancelled here: nothing goes up); any other is posted.
    bool cancelled = f != flights_.end() && f->second.cancel_requested;
    if (f != flights_.end())
      flights_.erase(f);
    if (cancelled)
      return;
    if (auto r = upward_result(n.task, *parent, opts_.id)) {
      if (results_.size() >= opts_.backlog) {
        log::warn("uplink backlog full; oldest result dropped",
                  {{"task_id", results_.front().task_id}});
        results_.pop_front();
      }
      results_.push_back(std::move(*r));
    }
    break;
  }
  }
  cv_.notify_all();
}

void uplink::enqueue_result(task_result res) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    results_.push_back(std::move(res));
  }
  cv_.notify_all();
}

void uplink::adopt(const actors::subtree_view& v) {
  subtree_ = v;
  current_hash_ = subtree_hash(v);
  if (current_hash_ != registered_hash_)
    need_register_ = true;
}

// -- pulling ------------------------------------------------------------------

status uplink::register_once() {
  worker_registration reg;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    reg = uplink_registration(opts_.id, subtree_);
  }
  auto r = transport_->register_worker(reg);
  if (!r)
    return r.error();
  bool listen = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    registered_hash_ = reg.skills_hash.value_or("");
    need_register_ = registered_hash_ != current_hash_;
    listen = !listening_;
    listening_ = true;
  }
  cv_.notify_all();
  if (listen)
    transport_->listen_for_commands(
        [this](worker_command cmd) {
          if (cmd.command == command_cancel_task && cmd.task_id)
            cancel_from_parent(*cmd.task_id);
        },
        true);
  log::info("registered upward",
            {{"uplink_id", opts_.id},
             {"skills", static_cast<int64_t>(reg.supported_skills->size())},
             {"skills_hash", registered_hash_}});
  return {};
}

void uplink::pull_loop() {
  auto delay = first_backoff;
  uint64_t known_version = 0;
  while (true) {
    bool reregister = false;
    {
      std::unique_lock<std::mutex> lock{mtx_};
      cv_.wait(lock, [this] { return stopping_ || pulling_; });
      if (stopping_)
        return;
    }
    // Waits in the local dispatcher until a local poll is idle.
    auto snap = ask<actors::subtree_view>(
        [&](auto cb) { local_->subtree(known_version, std::move(cb), 500); });
    if (!snap) {
      backoff_wait(delay);
      continue;
    }
    std::vector<std::string> hot;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (snap->full) {
        known_version = snap->version;
        adopt(*snap);
      }
      reregister = need_register_;
      hot = subtree_.hot;
    }
    if (reregister) {
      if (auto st = register_once(); !st) {
        log::warn("upward registration failed; retrying",
                  error_fields(st.error()));
        backoff_wait(delay);
        continue;
      }
      delay = first_backoff;
    }
    // Pull only what an idle local poll can take at once. A task pulled
    // before is already submitted (the submit precedes the query in the
    // dispatcher's mailbox): if it fits an idle poll, that poll took it.
    if (snap->idle_polls <= 0 || snap->idle.empty())
      continue;
    poll_request req;
    req.timeout = opts_.poll_timeout_s;
    std::vector<std::string> skills;
    for (const auto& [skill, n] : snap->idle)
      skills.push_back(skill);
    req.available_skills = std::move(skills);
    req.hot_skills = std::move(hot);
    auto r = transport_->poll_task(req);
    if (!r) {
      const auto& e = r.error();
      log::warn("upward poll failed", error_fields(e));
      if (not_registered(e) || e.code == errc::network) {
        // The parent may be back without our registration: register first.
        std::lock_guard<std::mutex> guard{mtx_};
        need_register_ = true;
      }
      if (!not_registered(e))
        backoff_wait(delay);
      continue;
    }
    delay = first_backoff;
    if (*r)
      place(std::move(**r));
  }
}

void uplink::place(task_payload task) {
  parent_ref ref{task.job_id, task.task_id};
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!pulling_) {
      // Leased to us while draining: hand it straight back.
      results_.push_back(exhausted(ref, opts_.id, "orchestrator draining"));
      cv_.notify_all();
      return;
    }
  }
  auto spec = local_job(task, opts_.owner);
  if (!spec) {
    enqueue_result(exhausted(ref, opts_.id, spec.error().message));
    return;
  }
  {
    std::lock_guard<std::mutex> guard{mtx_};
    // The parent may hand us a task again (its lease expired): the newest
    // local run is the one we track.
    if (auto old = flights_.find(ref.task_id); old != flights_.end())
      flights_.erase(old);
    auto& f = flights_[ref.task_id];
    f.parent_job_id = ref.job_id;
    f.pulled_at = clock::now();
    placement_order_.emplace_back(f.pulled_at, ref.task_id);
  }
  log::info("task pulled from parent",
            {{"task_id", ref.task_id}, {"type", task.type}});
  // Not awaited: the next poll need not wait for the local commit. The
  // acknowledgement comes on an actor or storage thread.
  local_->submit(std::move(*spec), [this, ref](result<actors::job_ack> ack) {
    std::string local_id;
    bool cancel = false;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      auto f = flights_.find(ref.task_id);
      if (!ack) {
        if (f != flights_.end())
          flights_.erase(f);
        results_.push_back(exhausted(
            ref, opts_.id, "local submit failed: " + ack.error().message));
      } else if (f != flights_.end()) {
        local_id = f->second.local_task_id = ack->task_ids.front();
        cancel = f->second.cancel_requested;
      }
    }
    cv_.notify_all();
    if (cancel)
      local_->cancel_task(opts_.owner, local_id, [](result<json::value>) {});
  });
}

void uplink::cancel_from_parent(const std::string& parent_task_id) {
  std::string local_id;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto f = flights_.find(parent_task_id);
    if (f == flights_.end() || f->second.cancel_requested)
      return;
    f->second.cancel_requested = true;
    local_id = f->second.local_task_id;
  }
  log::info("parent cancels task",
            {{"task_id", parent_task_id}, {"local_task_id", local_id}});
  if (!local_id.empty())
    local_->cancel_task(opts_.owner, local_id, [](result<json::value>) {});
}

// -- pushing ------------------------------------------------------------------

void uplink::check_placement() {
  std::vector<std::pair<parent_ref, std::string>> expired;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto now = clock::now();
    while (!placement_order_.empty()
           && now - placement_order_.front().first > opts_.place_timeout) {
      const auto& [at, id] = placement_order_.front();
      auto f = flights_.find(id);
      if (f != flights_.end() && f->second.local_task_id.empty()
          && !f->second.placed)
        break; // its local submit is not acknowledged yet
      if (f != flights_.end() && !f->second.placed
          && !f->second.cancel_requested && f->second.pulled_at == at) {
        expired.push_back(
            {{f->second.parent_job_id, id}, f->second.local_task_id});
        flights_.erase(f);
      }
      placement_order_.pop_front();
    }
  }
  for (auto& [ref, local_id] : expired) {
    log::warn("task not placed locally; returned to the parent",
              {{"task_id", ref.task_id}, {"local_task_id", local_id}});
    local_->cancel_task(opts_.owner, local_id, [](result<json::value>) {});
    enqueue_result(exhausted(ref, opts_.id,
                             "no idle holon of this subtree can run the task"));
  }
}

void uplink::push_loop() {
  auto delay = first_backoff;
  while (true) {
    std::optional<task_result> res;
    std::optional<worker_event> ev;
    {
      std::unique_lock<std::mutex> lock{mtx_};
      cv_.wait_for(lock, 100ms, [this] {
        return stopping_
               || ((!results_.empty() || !events_.empty()) && !need_register_);
      });
      if (stopping_)
        return;
      if (!need_register_) {
        if (!events_.empty()) {
          ev = std::move(events_.front());
          events_.pop_front();
        } else if (!results_.empty()) {
          res = std::move(results_.front());
          results_.pop_front();
          ++posting_;
        }
      }
    }
    check_placement();
    if (ev) {
      if (auto st = transport_->emit_event(*ev); !st)
        log::warn("event not relayed upward", error_fields(st.error()));
    }
    if (!res)
      continue;
    auto r = transport_->send_result(*res);
    bool again = false;
    if (r) {
      delay = first_backoff;
      if (!r->accepted)
        log::warn("upward result ignored",
                  {{"task_id", res->task_id}, {"reason", r->ignored_reason}});
    } else if (not_registered(r.error())) {
      std::lock_guard<std::mutex> guard{mtx_};
      need_register_ = true;
      again = true;
    } else if (retryable(r.error())) {
      again = true;
    } else {
      auto f = error_fields(r.error());
      f.set("task_id", res->task_id);
      log::error("upward result rejected", f);
    }
    {
      std::lock_guard<std::mutex> guard{mtx_};
      --posting_;
      if (again) // back in front: the parent gets results in order
        results_.push_front(std::move(*res));
    }
    cv_.notify_all();
    if (again && !not_registered(r.error()))
      backoff_wait(delay);
  }
}

void uplink::heartbeat_loop() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock{mtx_};
      if (cv_.wait_for(lock, opts_.heartbeat, [this] { return stopping_; }))
        return;
      if (need_register_)
        continue;
    }
    auto snap = ask<actors::subtree_view>(
        [&](auto cb) { local_->subtree(0, std::move(cb)); });
    heartbeat hb;
    hb.worker_id = opts_.id;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (snap)
        adopt(*snap);
      hb.status = std::string{pulling_ ? worker_status_active
                                       : worker_status_draining};
      std::vector<std::string> current;
      for (const auto& [id, f] : flights_)
        current.push_back(id);
      hb.current_tasks = std::move(current);
      hb.hot_skills = subtree_.hot;
      hb.skills_hash = current_hash_;
      resources_usage usage;
      if (subtree_.capacity > 0)
        usage.cpu_load_percent = 100.0 * static_cast<double>(subtree_.busy)
                                 / static_cast<double>(subtree_.capacity);
      hb.usage = usage;
      hb.metadata = json::object{{"busy", subtree_.busy},
                                 {"capacity", subtree_.capacity}};
    }
    auto r = transport_->send_heartbeat(hb);
    if (!r) {
      log::warn("upward heartbeat failed", error_fields(r.error()));
      if (not_registered(r.error())) {
        std::lock_guard<std::mutex> guard{mtx_};
        need_register_ = true;
      }
      continue;
    }
    for (const auto& id : r->cancel_task_ids)
      cancel_from_parent(id);
    if (r->require_full_sync) {
      std::lock_guard<std::mutex> guard{mtx_};
      need_register_ = true;
    }
  }
}

} // namespace rxon::runtime
