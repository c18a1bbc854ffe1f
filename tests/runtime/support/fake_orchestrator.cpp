#include "tests/runtime/support/fake_orchestrator.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>

namespace rxon::test {

namespace net = boost::asio;

struct fake_orchestrator::parked {
  actors::poll_request req;
  actors::callback<std::optional<task_payload>> done;
  net::steady_timer timer;
  explicit parked(net::io_context& ioc) : timer(ioc) {}
};

namespace {

bool fits(const actors::poll_request& req, const task_payload& t) {
  if (!req.available_skills)
    return true;
  const auto& s = *req.available_skills;
  return std::find(s.begin(), s.end(), t.type) != s.end();
}

} // namespace

fake_orchestrator::fake_orchestrator() {
  work_.emplace(ioc_.get_executor());
  thread_ = std::thread{[this] { ioc_.run(); }};
}

fake_orchestrator::~fake_orchestrator() {
  call([this] {
    for (auto& p : parked_)
      p->timer.cancel();
    parked_.clear();
    return 0;
  });
  work_.reset();
  ioc_.stop();
  thread_.join();
}

void fake_orchestrator::push_task(task_payload t) {
  call([this, &t] {
    if (!offer(t))
      queue_.push_back(std::move(t));
    return 0;
  });
}

bool fake_orchestrator::send_command(const std::string& worker_id,
                                     worker_command cmd) {
  return call([&] {
    auto it = sinks_.find(worker_id);
    if (it == sinks_.end())
      return false;
    it->second.second(cmd);
    return true;
  });
}

fake_orchestrator::recorded fake_orchestrator::snapshot() {
  return call([this] {
    auto r = rec_;
    r.queued = queue_.size();
    r.attached = sinks_.size();
    return r;
  });
}

void fake_orchestrator::deliver(
    const std::string& worker, task_payload t,
    actors::callback<std::optional<task_payload>>& done) {
  rec_.leases[t.task_id] = worker;
  leased_[t.task_id] = t;
  done(std::optional<task_payload>{std::move(t)});
}

bool fake_orchestrator::offer(task_payload& t) {
  for (auto it = parked_.begin(); it != parked_.end(); ++it) {
    if (!fits((*it)->req, t))
      continue;
    auto p = *it;
    parked_.erase(it);
    p->timer.cancel();
    deliver(p->req.worker_id, std::move(t), p->done);
    return true;
  }
  return false;
}

void fake_orchestrator::register_holon(worker_registration reg,
                                       actors::callback<json::value> done) {
  net::post(ioc_, [this, reg = std::move(reg), done = std::move(done)] {
    rec_.registrations.push_back(reg);
    done(json::value{
        json::object{{"status", "registered"}, {"version", "1.0b13"}}});
  });
}

void fake_orchestrator::poll(
    actors::poll_request req,
    actors::callback<std::optional<task_payload>> done) {
  net::post(
      ioc_, [this, req = std::move(req), done = std::move(done)]() mutable {
        rec_.polls.push_back(req);
        auto it = std::find_if(queue_.begin(), queue_.end(),
                               [&](const auto& t) { return fits(req, t); });
        if (it != queue_.end()) {
          auto t = std::move(*it);
          queue_.erase(it);
          return deliver(req.worker_id, std::move(t), done);
        }
        if (req.timeout.count() <= 0)
          return done(std::optional<task_payload>{});
        auto p = std::make_shared<parked>(ioc_);
        p->req = std::move(req);
        p->done = std::move(done);
        parked_.push_back(p);
        p->timer.expires_after(p->req.timeout);
        p->timer.async_wait([this, p](boost::system::error_code ec) {
          if (ec)
            return; // delivered or shut down
          parked_.remove(p);
          p->done(std::optional<task_payload>{});
        });
      });
}

void fake_orchestrator::return_task(std::string worker_id,
                                    std::string task_id) {
  net::post(ioc_, [this, worker_id, task_id] {
    auto it = rec_.leases.find(task_id);
    if (it == rec_.leases.end() || it->second != worker_id)
      return;
    rec_.leases.erase(it);
    rec_.returned_tasks.push_back(task_id);
    auto t = std::move(leased_[task_id]);
    leased_.erase(task_id);
    if (!offer(t))
      queue_.push_front(std::move(t));
  });
}

void fake_orchestrator::post_result(std::string worker_id, task_result res,
                                    actors::callback<json::value> done) {
  net::post(
      ioc_, [this, worker_id, res = std::move(res), done = std::move(done)] {
        auto it = rec_.leases.find(res.task_id);
        if (it == rec_.leases.end())
          return done(json::value{
              json::object{{"status", "ignored"}, {"reason", "stale_task"}}});
        if (it->second != worker_id)
          return done(json::value{json::object{{"status", "ignored"},
                                               {"reason", "worker_mismatch"}}});
        rec_.leases.erase(it);
        leased_.erase(res.task_id);
        rec_.results.push_back(res);
        done(json::value{json::object{{"status", "accepted"}}});
      });
}

void fake_orchestrator::heartbeat(std::string worker_id,
                                  std::optional<rxon::heartbeat> hb,
                                  actors::callback<json::value> done) {
  net::post(
      ioc_, [this, worker_id, hb = std::move(hb), done = std::move(done)] {
        rec_.heartbeats.emplace_back(worker_id, hb);
        if (!hb)
          return done(json::value{json::object{{"status", "ttl_refreshed"}}});
        done(json::value{json::object{{"status", "ok"},
                                      {"cancel_task_ids", json::array{}}}});
      });
}

void fake_orchestrator::post_event(std::string, worker_event ev,
                                   actors::callback<json::value> done) {
  net::post(ioc_, [this, ev = std::move(ev), done = std::move(done)] {
    rec_.events.push_back(ev);
    done(json::value{json::object{{"status", "event_accepted"}}});
  });
}

uint64_t fake_orchestrator::attach_commands(std::string worker_id,
                                            actors::command_sink sink) {
  return call([&] {
    auto token = next_token_++;
    sinks_[worker_id] = {token, std::move(sink)};
    return token;
  });
}

void fake_orchestrator::detach_commands(std::string worker_id, uint64_t token) {
  net::post(ioc_, [this, worker_id, token] {
    ++rec_.detaches;
    auto it = sinks_.find(worker_id);
    if (it != sinks_.end() && it->second.first == token)
      sinks_.erase(it);
  });
}

void fake_orchestrator::submit(actors::job_spec spec,
                               actors::callback<actors::job_ack> done) {
  net::post(ioc_, [this, spec = std::move(spec), done = std::move(done)] {
    actors::job_ack ack;
    ack.job_id = "job-" + std::to_string(next_id_++);
    job_owner_[ack.job_id] = spec.owner;
    for (const auto& ts : spec.tasks) {
      task_payload t;
      t.job_id = ack.job_id;
      t.task_id = "task-" + std::to_string(next_id_++);
      t.type = ts.type;
      t.params = ts.params;
      t.priority = ts.priority;
      ack.task_ids.push_back(t.task_id);
      if (!offer(t))
        queue_.push_back(std::move(t));
    }
    rec_.jobs.push_back(spec);
    done(std::move(ack));
  });
}

void fake_orchestrator::cancel_job(std::string owner, std::string job_id,
                                   actors::callback<json::value> done) {
  net::post(ioc_, [this, owner, job_id, done = std::move(done)] {
    auto it = job_owner_.find(job_id);
    if (it == job_owner_.end() || it->second != owner)
      return done(error{errc::not_found, "job '" + job_id + "' not found"});
    for (auto& [task, worker] : rec_.leases)
      if (auto s = sinks_.find(worker); s != sinks_.end()) {
        worker_command cmd;
        cmd.command = "cancel_task";
        cmd.task_id = task;
        cmd.job_id = job_id;
        s->second.second(cmd);
      }
    done(
        json::value{json::object{{"status", "cancellation_request_accepted"}}});
  });
}

void fake_orchestrator::cancel_task(std::string, std::string task_id,
                                    actors::callback<json::value> done) {
  net::post(ioc_, [task_id, done = std::move(done)] {
    done(error{errc::not_found, "task '" + task_id + "' not found"});
  });
}

void fake_orchestrator::get_job(std::string owner, std::string job_id,
                                actors::callback<json::value> done) {
  net::post(ioc_, [this, owner, job_id, done = std::move(done)] {
    auto it = job_owner_.find(job_id);
    if (it == job_owner_.end() || it->second != owner)
      return done(error{errc::not_found, "job '" + job_id + "' not found"});
    done(json::value{json::object{{"job_id", job_id}, {"status", "pending"}}});
  });
}

void fake_orchestrator::get_task(std::string, std::string task_id,
                                 actors::callback<json::value> done) {
  net::post(ioc_, [task_id, done = std::move(done)] {
    done(error{errc::not_found, "task '" + task_id + "' not found"});
  });
}

void fake_orchestrator::list_jobs(actors::job_query q,
                                  actors::callback<json::value> done) {
  net::post(ioc_, [this, q = std::move(q), done = std::move(done)] {
    json::array jobs;
    for (const auto& [id, owner] : job_owner_)
      if (owner == q.owner)
        jobs.push_back(json::object{{"job_id", id}});
    done(json::value{json::object{
        {"jobs", std::move(jobs)}, {"limit", q.limit}, {"offset", q.offset}}});
  });
}

void fake_orchestrator::list_holons(actors::callback<json::value> done) {
  net::post(ioc_, [this, done = std::move(done)] {
    json::array workers;
    for (const auto& r : rec_.registrations)
      workers.push_back(json::object{{"worker_id", r.worker_id}});
    done(json::value{json::object{{"workers", std::move(workers)}}});
  });
}

void fake_orchestrator::holarchy(actors::callback<json::value> done) {
  net::post(ioc_, [done = std::move(done)] {
    done(
        json::value{json::object{{"id", "root"}, {"children", json::array{}}}});
  });
}

void fake_orchestrator::metrics(actors::callback<std::string> done) {
  net::post(ioc_, [this, done = std::move(done)] {
    done("# TYPE rxon_fake_queue_depth gauge\nrxon_fake_queue_depth "
         + std::to_string(queue_.size()) + "\n");
  });
}

} // namespace rxon::test
