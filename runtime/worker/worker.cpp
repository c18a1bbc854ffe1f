#include "runtime/worker/worker.hpp"

#include "protocol/constants.hpp"
#include "runtime/log.hpp"
#include "runtime/peer_link.hpp"
#include "runtime/worker/task_runner.hpp"

namespace rxon::runtime {

namespace {

const char* mode_name(task_mode m) {
  return m == task_mode::exec   ? "exec"
         : m == task_mode::echo ? "echo"
                                : "sleep";
}

/// A TRANSIENT_ERROR result: the task may run again elsewhere.
task_result failed(const task_payload& task, std::string message) {
  task_result res;
  res.job_id = task.job_id;
  res.task_id = task.task_id;
  res.status = std::string{task_status_failure};
  res.error
      = task_error{std::string{error_code_transient}, std::move(message), {}};
  return res;
}

} // namespace

worker::worker(worker_options opts, blocking_transport& transport)
    : opts_(std::move(opts)), transport_(transport) {}

worker::~worker() {
  stop();
  {
    std::lock_guard<std::mutex> guard{mtx_};
    hb_stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : executors_)
    if (t.joinable())
      t.join();
  if (heartbeat_.joinable())
    heartbeat_.join();
}

void worker::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
}

worker_registration worker::registration() const {
  worker_registration reg;
  reg.worker_id = opts_.worker_id;
  std::vector<skill_info> skills;
  for (const auto& s : opts_.skills) {
    skill_info info;
    info.name = s;
    skills.push_back(std::move(info));
  }
  reg.supported_skills = std::move(skills);
  reg.resources = opts_.resources;
  worker_capabilities caps;
  caps.hostname = host_name();
  reg.capabilities = std::move(caps);
  reg.metadata = json::object{{"mode", mode_name(opts_.mode)},
                              {"concurrency", opts_.concurrency}};
  return reg;
}

status worker::register_once() {
  std::lock_guard<std::mutex> reg_guard{register_mtx_};
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!need_register_)
      return {}; // another thread just did it
  }
  auto r = transport_.register_worker(registration());
  if (!r)
    return r.error();
  {
    std::lock_guard<std::mutex> guard{mtx_};
    need_register_ = false;
  }
  cv_.notify_all();
  log::info("registered",
            {{"worker_id", opts_.worker_id},
             {"skills", static_cast<int64_t>(opts_.skills.size())}});
  return {};
}

void worker::backoff_wait(std::chrono::milliseconds& delay) {
  std::unique_lock<std::mutex> lock{mtx_};
  cv_.wait_for(lock, delay, [this] { return stopping_; });
  delay = std::min(delay * 2, opts_.max_backoff);
}

bool worker::register_until_done(bool first, bool& fatal) {
  auto delay = first_backoff;
  while (true) {
    auto st = register_once();
    if (st)
      return true;
    const auto& e = st.error();
    if (first && !retryable(e)) {
      log::error("registration refused", error_fields(e));
      fatal = true;
      return false;
    }
    log::warn("registration failed; retrying", error_fields(e));
    backoff_wait(delay);
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_)
      return false;
  }
}

int worker::run() {
  log::info("worker starting", {{"worker_id", opts_.worker_id},
                                {"url", opts_.url},
                                {"mode", mode_name(opts_.mode)},
                                {"concurrency", opts_.concurrency}});
  transport_.connect();
  bool fatal = false;
  if (!register_until_done(true, fatal))
    return fatal ? 1 : 0; // stopped before anything was leased
  transport_.listen_for_commands(
      [this](worker_command cmd) { on_command(cmd); }, true);
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
  for (int i = 0; i < opts_.concurrency; ++i)
    executors_.emplace_back([this] { executor_loop(); });
  poll_loop();
  drain();
  transport_.close();
  log::info("worker stopped", {{"worker_id", opts_.worker_id}});
  return 0;
}

void worker::poll_loop() {
  auto delay = first_backoff;
  const auto capacity = static_cast<std::size_t>(opts_.concurrency);
  while (true) {
    poll_request req;
    bool reregister = false;
    {
      std::unique_lock<std::mutex> lock{mtx_};
      cv_.wait(lock, [&] { return stopping_ || tasks_.size() < capacity; });
      if (stopping_)
        return;
      req.hot_skills = std::vector<std::string>(hot_.begin(), hot_.end());
      reregister = need_register_;
    }
    if (bool fatal = false; reregister && !register_until_done(false, fatal))
      return;
    req.timeout = opts_.poll_timeout_s;
    req.available_skills = opts_.skills;
    auto r = transport_.poll_task(req);
    if (!r) {
      const auto& e = r.error();
      if (not_registered(e)) {
        log::warn("orchestrator does not know this worker; re-registering",
                  error_fields(e));
        std::lock_guard<std::mutex> guard{mtx_};
        need_register_ = true;
        continue;
      }
      log::warn("poll failed; retrying", error_fields(e));
      if (e.code == errc::network) {
        // Contact lost: the orchestrator may come back without our
        // registration (restart, fail-over), so register again first.
        std::lock_guard<std::mutex> guard{mtx_};
        need_register_ = true;
      }
      if (e.retry_after) // 429: wait at least as long as asked
        delay = std::max(delay, std::chrono::milliseconds{static_cast<int64_t>(
                                    std::min(*e.retry_after, 3600.0) * 1000)});
      backoff_wait(delay);
      continue;
    }
    delay = first_backoff;
    if (!*r)
      continue;
    task_payload task = std::move(**r);
    log::info("task received", {{"task_id", task.task_id},
                                {"job_id", task.job_id},
                                {"type", task.type}});
    std::unique_lock<std::mutex> lock{mtx_};
    if (stopping_) {
      // Leased to us after stop(): hand it straight back.
      lock.unlock();
      post_result(failed(task, "worker shutting down"));
      return;
    }
    tasks_[task.task_id] = task_entry{std::make_shared<cancel_token>()};
    queue_.push_back(std::move(task));
    lock.unlock();
    cv_.notify_all();
  }
}

void worker::executor_loop() {
  while (true) {
    task_payload task;
    std::shared_ptr<cancel_token> token;
    {
      std::unique_lock<std::mutex> lock{mtx_};
      cv_.wait(lock, [this] { return !queue_.empty() || hb_stop_; });
      if (queue_.empty())
        return;
      task = std::move(queue_.front());
      queue_.pop_front();
      auto& entry = tasks_[task.task_id];
      entry.started = true;
      token = entry.cancel;
      if (!token)
        token = entry.cancel = std::make_shared<cancel_token>();
      hot_.insert(task.type);
    }
    auto started = clock::now();
    task_result res = token->cancelled()
                          ? failed(task, "task interrupted: " + token->reason())
                          : run_task(opts_, task, *token);
    bool by_orchestrator = false;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      by_orchestrator = tasks_[task.task_id].by_orchestrator;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now()
                                                                    - started)
                  .count();
    if (by_orchestrator) {
      // The task is terminal on the orchestrator; a result would be ignored.
      log::info("task cancelled", {{"task_id", task.task_id},
                                   {"duration_ms", static_cast<int64_t>(ms)}});
    } else {
      json::object f{{"task_id", task.task_id},
                     {"status", res.status},
                     {"duration_ms", static_cast<int64_t>(ms)}};
      if (res.error)
        f.set("error", res.error->code + ": " + res.error->message);
      log::info("task done", f);
      post_result(res);
    }
    {
      std::lock_guard<std::mutex> guard{mtx_};
      tasks_.erase(task.task_id);
    }
    cv_.notify_all();
  }
}

void worker::post_result(const task_result& res) {
  auto delay = first_backoff;
  // Bounded: an orchestrator down for longer than this requeues the task
  // itself when the lease expires.
  auto give_up = clock::now() + std::chrono::seconds(60);
  while (true) {
    auto r = transport_.send_result(res);
    if (r) {
      if (!r->accepted)
        log::warn("result ignored",
                  {{"task_id", res.task_id}, {"reason", r->ignored_reason}});
      return;
    }
    const auto& e = r.error();
    if (not_registered(e)) {
      {
        std::lock_guard<std::mutex> guard{mtx_};
        need_register_ = true;
      }
      if (auto st = register_once(); !st && !retryable(st.error())) {
        log::error("result dropped: cannot re-register",
                   error_fields(st.error()));
        return;
      }
    } else if (!retryable(e)) {
      auto f = error_fields(e);
      f.set("task_id", res.task_id);
      log::error("result rejected", f);
      return;
    }
    if (clock::now() > give_up) {
      auto f = error_fields(e);
      f.set("task_id", res.task_id);
      log::error("result dropped after retries", f);
      return;
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, opts_.max_backoff);
  }
}

void worker::heartbeat_loop() {
  while (true) {
    heartbeat hb;
    hb.worker_id = opts_.worker_id;
    {
      std::unique_lock<std::mutex> lock{mtx_};
      if (cv_.wait_for(lock, opts_.heartbeat_interval,
                       [this] { return hb_stop_; }))
        return;
      hb.status = std::string{stopping_ ? worker_status_draining
                                        : worker_status_active};
      std::vector<std::string> current;
      current.reserve(tasks_.size());
      for (const auto& [id, entry] : tasks_)
        current.push_back(id);
      hb.current_tasks = std::move(current);
      hb.hot_skills = std::vector<std::string>(hot_.begin(), hot_.end());
    }
    auto r = transport_.send_heartbeat(hb);
    if (!r) {
      if (not_registered(r.error())) {
        std::lock_guard<std::mutex> guard{mtx_};
        need_register_ = true;
      }
      log::warn("heartbeat failed", error_fields(r.error()));
    } else {
      for (const auto& id : r->cancel_task_ids)
        cancel(id, true, "cancelled by the orchestrator (heartbeat)");
      if (r->require_full_sync) {
        log::info("orchestrator asks for a full sync; re-registering");
        std::lock_guard<std::mutex> guard{mtx_};
        need_register_ = true;
      }
    }
    bool reregister = false;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      reregister = need_register_ && stopping_;
    }
    // While draining the poll loop is gone; keep the registration alive
    // here so the in-flight results are accepted.
    if (reregister)
      (void)register_once();
    cv_.notify_all();
  }
}

void worker::on_command(const worker_command& cmd) {
  if (cmd.command == command_cancel_task && cmd.task_id) {
    cancel(*cmd.task_id, true, "cancelled by the orchestrator");
    return;
  }
  log::warn("unknown command ignored", {{"command", cmd.command}});
}

void worker::cancel(const std::string& task_id, bool by_orchestrator,
                    const std::string& reason) {
  std::shared_ptr<cancel_token> token;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = tasks_.find(task_id);
    if (i == tasks_.end())
      return;
    i->second.by_orchestrator = i->second.by_orchestrator || by_orchestrator;
    token = i->second.cancel;
  }
  log::info("cancelling task", {{"task_id", task_id}, {"reason", reason}});
  token->cancel(reason);
}

void worker::drain() {
  std::vector<std::string> left;
  {
    std::unique_lock<std::mutex> lock{mtx_};
    log::info("draining",
              {{"in_flight", static_cast<int64_t>(tasks_.size())},
               {"grace_ms", static_cast<int64_t>(opts_.grace_period.count())}});
    cv_.wait_for(lock, opts_.grace_period, [this] { return tasks_.empty(); });
    for (const auto& [id, entry] : tasks_)
      left.push_back(id);
  }
  for (const auto& id : left)
    cancel(id, false, "worker shutting down");
  {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait(lock, [this] { return tasks_.empty(); });
    hb_stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : executors_)
    t.join();
  executors_.clear();
  heartbeat_.join();
}

} // namespace rxon::runtime
