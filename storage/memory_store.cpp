#include "storage/store.hpp"
#include "storage/validation.hpp"

#include <functional>
#include <iterator>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace rxon::storage {

namespace {

/// Order of jobs(): newest first, then job_id ascending (as the SQL index).
struct job_key {
  int64_t created_ms;
  std::string job_id;
  friend bool operator<(const job_key& x, const job_key& y) {
    if (x.created_ms != y.created_ms)
      return x.created_ms > y.created_ms;
    return x.job_id < y.job_id;
  }
};

/// Order of tasks_of_job(): oldest first, then task_id.
using task_key = std::pair<int64_t, std::string>;

task_record stored(task_record t) {
  t.params = stored_form(t.params);
  t.requirements = stored_form(t.requirements);
  t.skill = stored_form(t.skill);
  t.result = stored_form(t.result);
  t.error = stored_form(t.error);
  return t;
}

class memory_store final : public store {
public:
  status apply_valid(const change_batch& batch) override;

  result<std::vector<task_record>> unfinished_tasks() override {
    // As SQL: tasks of jobs marked finished are not read.
    std::vector<task_record> out;
    out.reserve(unfinished_.size());
    for (const auto& id : unfinished_) {
      const auto& t = tasks_.at(id);
      if (!finished_jobs_.contains(t.job_id))
        out.push_back(t);
    }
    return out;
  }
  result<std::optional<task_record>> task(const std::string& id) override {
    return find(tasks_, id);
  }
  result<std::optional<job_record>> job(const std::string& id) override {
    return find(jobs_, id);
  }
  result<std::vector<task_record>>
  tasks_of_job(const std::string& job_id) override {
    std::vector<task_record> out;
    if (auto i = by_job_.find(job_id); i != by_job_.end())
      for (const auto& key : i->second)
        out.push_back(tasks_.at(key.second));
    return out;
  }
  result<std::vector<job_record>> jobs(const std::string& owner,
                                       std::size_t limit,
                                       std::size_t offset) override;
  result<std::vector<holon_record>> holons() override {
    std::vector<holon_record> out;
    out.reserve(holons_.size());
    for (const auto& [id, h] : holons_)
      out.push_back(h);
    return out;
  }
  result<std::map<task_state, int64_t>> task_counts() override {
    return counts_;
  }
  result<std::map<task_state, int64_t>>
  task_counts_of_job(const std::string& job_id) override {
    std::map<task_state, int64_t> out;
    if (auto i = by_job_.find(job_id); i != by_job_.end())
      for (const auto& key : i->second)
        ++out[tasks_.at(key.second).state];
    return out;
  }
  result<std::vector<event_record>>
  events(const std::string& task_id) override {
    if (auto i = events_.find(task_id); i != events_.end())
      return i->second;
    return std::vector<event_record>{};
  }

private:
  template <class Map>
  static std::optional<typename Map::mapped_type> find(const Map& m,
                                                       const std::string& id) {
    if (auto i = m.find(id); i != m.end())
      return i->second;
    return std::nullopt;
  }

  status check_references(const change_batch& batch) const;
  void put_job(const job_record& j);
  void put_task(const task_record& t);
  void update_task(const task_update& u);
  void count(task_state s, int64_t delta);

  std::unordered_map<std::string, job_record> jobs_;
  std::set<job_key> jobs_by_time_;
  std::unordered_map<std::string, std::set<job_key>> jobs_by_owner_;
  std::unordered_map<std::string, task_record> tasks_;
  std::unordered_map<std::string, std::set<task_key>> by_job_;
  std::set<std::string> unfinished_; // ordered by task_id, as in SQL
  std::unordered_set<std::string> finished_jobs_;
  std::map<task_state, int64_t> counts_;
  std::map<std::string, holon_record> holons_;
  std::unordered_map<std::string, std::vector<event_record>> events_;
};

// The SQLite schema's foreign key: a task's job must exist once the
// batch's jobs are in. Checked first, so a failing batch changes nothing.
status memory_store::check_references(const change_batch& batch) const {
  std::unordered_set<std::string_view> new_jobs;
  for (const auto& j : batch.jobs)
    new_jobs.insert(j.job_id);
  for (const auto& t : batch.tasks)
    if (!jobs_.contains(t.job_id) && !new_jobs.contains(t.job_id))
      return error{errc::conflict, "task '" + t.task_id + "': job '" + t.job_id
                                       + "' does not exist"};
  std::unordered_set<std::string_view> new_tasks;
  for (const auto& u : batch.task_updates) {
    if (tasks_.contains(u.task_id))
      continue;
    if (new_tasks.empty())
      for (const auto& t : batch.tasks)
        new_tasks.insert(t.task_id);
    if (!new_tasks.contains(u.task_id))
      return error{errc::conflict,
                   "task '" + u.task_id + "': update of a task not stored"};
  }
  for (const auto& j : batch.finished_jobs)
    if (!jobs_.contains(j.job_id) && !new_jobs.contains(j.job_id))
      return error{errc::conflict,
                   "job '" + j.job_id + "': finished but not stored"};
  return {};
}

void memory_store::count(task_state s, int64_t delta) {
  auto& n = counts_[s];
  n += delta;
  if (n == 0)
    counts_.erase(s);
}

void memory_store::put_job(const job_record& j) {
  auto [it, inserted] = jobs_.try_emplace(j.job_id);
  if (!inserted) {
    job_key old{it->second.created_ms, j.job_id};
    jobs_by_time_.erase(old);
    auto owner = jobs_by_owner_.find(it->second.owner);
    owner->second.erase(old);
    if (owner->second.empty())
      jobs_by_owner_.erase(owner);
  }
  it->second = j;
  it->second.metadata = stored_form(j.metadata);
  jobs_by_time_.insert({j.created_ms, j.job_id});
  jobs_by_owner_[j.owner].insert({j.created_ms, j.job_id});
}

void memory_store::put_task(const task_record& t) {
  auto [it, inserted] = tasks_.try_emplace(t.task_id);
  if (!inserted) {
    const auto& old = it->second;
    auto job = by_job_.find(old.job_id);
    job->second.erase({old.created_ms, old.task_id});
    if (job->second.empty())
      by_job_.erase(job);
    if (!is_terminal(old.state))
      unfinished_.erase(old.task_id);
    count(old.state, -1);
  }
  it->second = stored(t);
  by_job_[t.job_id].insert({t.created_ms, t.task_id});
  if (!is_terminal(t.state))
    unfinished_.insert(t.task_id);
  count(t.state, 1);
}

void memory_store::update_task(const task_update& u) {
  auto& t = tasks_.at(u.task_id);
  if (!is_terminal(t.state))
    unfinished_.erase(t.task_id);
  count(t.state, -1);
  u.apply_to(t);
  t.result = stored_form(u.result);
  t.error = stored_form(u.error);
  if (!is_terminal(t.state))
    unfinished_.insert(t.task_id);
  count(t.state, 1);
}

status memory_store::apply_valid(const change_batch& batch) {
  if (auto st = check_references(batch); !st)
    return st;
  for (const auto& j : batch.jobs)
    put_job(j);
  for (const auto& t : batch.tasks)
    put_task(t);
  for (const auto& u : batch.task_updates)
    update_task(u);
  for (const auto& j : batch.finished_jobs)
    finished_jobs_.insert(j.job_id);
  for (const auto& h : batch.holons) {
    auto& rec = holons_[h.holon_id];
    rec = h;
    rec.registration = stored_form(h.registration);
  }
  for (const auto& id : batch.removed_holons)
    holons_.erase(id);
  for (const auto& e : batch.events) {
    auto& rec = events_[e.task_id].emplace_back(e);
    rec.data = stored_form(e.data);
  }
  return {};
}

result<std::vector<job_record>> memory_store::jobs(const std::string& owner,
                                                   std::size_t limit,
                                                   std::size_t offset) {
  const std::set<job_key>* index = &jobs_by_time_;
  if (!owner.empty()) {
    auto i = jobs_by_owner_.find(owner);
    if (i == jobs_by_owner_.end())
      return std::vector<job_record>{};
    index = &i->second;
  }
  std::vector<job_record> out;
  if (offset >= index->size())
    return out;
  auto it = std::next(index->begin(), static_cast<std::ptrdiff_t>(offset));
  for (; it != index->end() && out.size() < limit; ++it)
    out.push_back(jobs_.at(it->job_id));
  return out;
}

} // namespace

std::unique_ptr<store> make_memory_store() {
  return std::make_unique<memory_store>();
}

} // namespace rxon::storage
