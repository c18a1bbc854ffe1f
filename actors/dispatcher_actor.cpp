#include "actors/dispatcher_actor.hpp"

#include "actors/holon_actor.hpp"
#include "actors/task_views.hpp"
#include "protocol/codec.hpp"
#include "storage/writer.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>

namespace rxon::actors {

namespace {

using self_ptr = dispatcher_actor::stateful_pointer<dispatcher_actor_state>;

int64_t now_of(self_ptr self) {
  return self->state.opts.clock();
}

/// Answers the subtree requests whose wait is over: a poll is idle, the
/// holons changed, or the deadline passed. Few waiters (one per uplink).
void answer_idle_waiters(self_ptr self) {
  auto& waiters = self->state.idle_waiters;
  if (waiters.empty())
    return;
  const auto& logic = *self->state.logic;
  auto now = now_of(self);
  std::erase_if(waiters, [&](auto& w) {
    // Checked at every step: O(1) until there is something to report.
    if (logic.idle_polls() == 0 && logic.holons_version() == w.known_version
        && now < w.deadline_ms)
      return false;
    w.done(logic.subtree(w.known_version));
    return true;
  });
}

void schedule_tick(self_ptr self) {
  auto& st = self->state;
  auto next = st.logic->next_wakeup();
  if (next >= st.tick_at)
    return;
  st.tick_at = next;
  auto delay = std::max<int64_t>(next - now_of(self), 0);
  self->delayed_send(self, std::chrono::milliseconds(delay), tick_atom::value);
}

/// Runs on the writer's thread once a submission is committed (or failed):
/// each reply in order, or the storage error.
std::function<void(const status&)> reply_all_after_commit(
    std::vector<std::pair<callback<json::value>, json::value>> replies) {
  return [replies = std::move(replies)](const status& st) mutable {
    for (auto& [done, value] : replies) {
      if (!done)
        continue;
      if (!st)
        done(error{errc::unavailable, "storage: " + st.error().message});
      else
        done(std::move(value));
    }
  };
}

/// Hands the gathered result steps to the writer as one submission.
void hand_over_results(dispatcher_actor_state& st) {
  if (st.gathered_replies.empty() && st.result_effects.changes.empty())
    return;
  st.opts.writer->submit(
      std::move(st.result_effects.changes),
      reply_all_after_commit(std::move(st.gathered_replies)));
  st.result_effects.changes = {};
  st.gathered_replies = {};
  // Room for the next gathering: growing one by one moved each update
  // (208 bytes) about twice.
  st.result_effects.changes.task_updates.reserve(st.opts.max_gathered_results);
  st.gathered_replies.reserve(st.opts.max_gathered_results);
}

} // namespace

dispatcher_actor_state::~dispatcher_actor_state() {
  // The actor stops (on its own thread): what it gathered still commits,
  // and its replies still go out.
  if (opts.writer)
    hand_over_results(*this);
}

namespace {

/// Carries out what the logic decided, except its store changes.
void carry_out_now(self_ptr self, effects& fx) {
  auto& st = self->state;
  for (auto& a : fx.answers) {
    auto i = st.polls.find(a.id);
    if (i == st.polls.end())
      continue;
    auto done = std::move(i->second);
    st.polls.erase(i);
    done(std::move(a.outcome));
  }
  for (auto& c : fx.commands)
    if (auto s = st.sinks.find(c.holon_id); s != st.sinks.end())
      s->second.sink(c.command);
  if (st.opts.observer)
    for (auto& n : fx.notices)
      st.opts.observer(std::move(n));
  if (!fx.touched.empty()) {
    auto now = now_of(self);
    // A touch per quarter TTL is enough to keep a holon alive.
    auto every = std::max<int64_t>(st.opts.holon_ttl_ms / 4, 1);
    for (const auto& id : fx.touched) {
      auto h = st.holons.find(id);
      if (h != st.holons.end() && now - h->second.last_touch_ms >= every) {
        h->second.last_touch_ms = now;
        self->send(h->second.handle, touch_atom::value);
      }
    }
  }
}

/// Carries out what the logic decided. `after_commit` runs once the store
/// changes of this step are durable (at once without a store), on the
/// writer's thread.
void carry_out(self_ptr self, effects& fx,
               std::function<void(const status&)> after_commit = {}) {
  auto& st = self->state;
  carry_out_now(self, fx);
  // With a store, even a step without changes replies through the writer:
  // the reply reflects earlier steps' changes, so it waits for their commit.
  if (st.opts.writer && (!fx.changes.empty() || after_commit)) {
    hand_over_results(st); // earlier steps' changes go first
    st.opts.writer->submit(std::move(fx.changes), std::move(after_commit));
  } else if (after_commit) {
    after_commit(status{});
  }
  answer_idle_waiters(self);
  schedule_tick(self);
}

/// Carries out a result step whose changes are in st.result_effects: they
/// stay there, gathered with the next result steps' (see
/// dispatcher_actor_state::result_effects); the reply waits for their commit.
void carry_out_result(self_ptr self, callback<json::value> done,
                      json::value reply) {
  auto& st = self->state;
  auto& fx = st.result_effects;
  carry_out_now(self, fx);
  fx.clear_all_but_changes();
  st.gathered_replies.emplace_back(std::move(done), std::move(reply));
  if (st.gathered_replies.size() >= st.opts.max_gathered_results) {
    hand_over_results(st);
  } else if (!st.flush_sent) {
    // Behind every message queued now: the steps those bring gather too.
    self->send(self, flush_atom::value);
    st.flush_sent = true;
  }
  answer_idle_waiters(self);
  schedule_tick(self);
}

/// Replies with `value` once the step's changes are committed, or with the
/// storage error.
template <class T>
std::function<void(const status&)> reply_after_commit(callback<T> done,
                                                      T value) {
  return [done = std::move(done),
          value = std::move(value)](const status& st) mutable {
    if (!st)
      done(error{errc::unavailable, "storage: " + st.error().message});
    else
      done(std::move(value));
  };
}

void accept_submit(self_ptr self, submit_msg& msg) {
  effects fx;
  auto ack = self->state.logic->submit(std::move(msg.spec), now_of(self), fx);
  if (!ack) {
    msg.done(std::move(ack).error());
    return;
  }
  carry_out(self, fx, reply_after_commit(std::move(msg.done), std::move(*ack)));
}

/// True while the writer has more uncommitted changes than a few full
/// groups: new jobs then wait (in arrival order) instead of piling their
/// task records onto the writer's queue.
bool writer_backlogged(const dispatcher_actor_state& st) {
  return st.opts.writer
         && st.opts.writer->queued_changes() >= st.opts.max_write_backlog;
}

/// Accepts held jobs while the writer keeps up; one retry in 1 ms while
/// any are left (one chain of retries: only this and the first hold start
/// it).
void accept_held_submits(self_ptr self) {
  auto& held = self->state.held_submits;
  while (!held.empty() && !writer_backlogged(self->state)) {
    auto msg = std::move(held.front());
    held.pop_front();
    accept_submit(self, msg);
  }
  if (!held.empty())
    self->delayed_send(self, std::chrono::milliseconds(1), held_atom::value);
}

void collect_subtree(const dispatcher_actor_state& st, const std::string& id,
                     std::vector<std::string>& out) {
  out.push_back(id);
  if (auto c = st.children.find(id); c != st.children.end())
    for (const auto& child : c->second)
      collect_subtree(st, child, out);
}

void remove_subtree(self_ptr self, const std::string& id, bool lost) {
  auto& st = self->state;
  std::vector<std::string> ids;
  collect_subtree(st, id, ids);
  effects fx;
  auto now = now_of(self);
  for (const auto& h : ids) {
    st.logic->remove_holon(h, now, fx);
    fx.changes.removed_holons.push_back(h);
    fx.changes.events.push_back(
        {now, lost ? "holon_lost" : "holon_removed", "", "", h, {}});
    if (auto l = st.holons.find(h); l != st.holons.end()) {
      if (auto p = st.children.find(l->second.parent); p != st.children.end())
        std::erase(p->second, h);
      st.holons.erase(l);
    }
    st.children.erase(h);
  }
  carry_out(self, fx);
}

json::value holarchy_json(const dispatcher_actor_state& st,
                          const std::string& id) {
  json::array kids;
  if (auto c = st.children.find(id); c != st.children.end())
    for (const auto& child : c->second)
      kids.push_back(holarchy_json(st, child));
  return json::object{{"id", id}, {"children", std::move(kids)}};
}

void answer_client(self_ptr self, client_msg& msg) {
  auto& st = self->state;
  auto now = now_of(self);
  switch (msg.kind) {
  case client_msg::cancel_job:
  case client_msg::cancel_task: {
    effects fx;
    auto r = msg.kind == client_msg::cancel_job
                 ? st.logic->cancel_job(msg.owner, msg.id, now, fx)
                 : st.logic->cancel_task(msg.owner, msg.id, now, fx);
    if (!r) {
      msg.done(std::move(r).error());
      return;
    }
    carry_out(self, fx, reply_after_commit(std::move(msg.done), std::move(*r)));
    return;
  }
  case client_msg::list_holons:
    msg.done(st.logic->holons_view());
    return;
  case client_msg::holarchy:
    msg.done(holarchy_json(st, "root"));
    return;
  case client_msg::get_job:
  case client_msg::get_task: {
    auto view = msg.kind == client_msg::get_job
                    ? st.logic->job_view(msg.owner, msg.id)
                    : st.logic->task_view(msg.owner, msg.id);
    if (view) {
      if (view->is_null()) {
        msg.done(error{errc::not_found, "'" + msg.id + "' not found"});
        return;
      }
      // The state in memory may be ahead of the disk: answer once what
      // it shows is committed, so a client never sees a success that a
      // crash could take back.
      effects none;
      carry_out(self, none,
                reply_after_commit(std::move(msg.done), std::move(*view)));
      return;
    }
    break; // not in memory: ask the store
  }
  case client_msg::list_jobs:
  case client_msg::task_events:
    break;
  }
  if (!st.opts.writer) {
    if (msg.kind == client_msg::list_jobs)
      msg.done(json::value{json::object{{"jobs", json::array{}}}});
    else if (msg.kind == client_msg::task_events)
      msg.done(error{errc::unavailable,
                     "task events are kept only with a durable store (--db)"});
    else
      msg.done(error{errc::not_found, "'" + msg.id + "' not found"});
    return;
  }
  // Reads run on the storage thread after earlier writes are committed.
  hand_over_results(st);
  st.opts.writer->read([msg = std::move(msg)](storage::store& store) mutable {
    auto fail = [&](const error& e) { msg.done(e); };
    auto counts_of = [](const std::vector<storage::task_record>& tasks) {
      std::array<int64_t, 8> counts{};
      for (const auto& t : tasks)
        ++counts[static_cast<size_t>(t.state)];
      return counts;
    };
    if (msg.kind == client_msg::task_events)
      return msg.done(task_events_json(store, msg.owner, msg.id));
    if (msg.kind == client_msg::get_task) {
      auto t = store.task(msg.id);
      if (!t)
        return fail(t.error());
      if (!*t)
        return fail(error{errc::not_found, "task '" + msg.id + "' not found"});
      auto j = store.job((*t)->job_id);
      if (!j || !*j || (*j)->owner != msg.owner)
        return fail(error{errc::not_found, "task '" + msg.id + "' not found"});
      return msg.done(task_view_json(**t));
    }
    if (msg.kind == client_msg::get_job) {
      auto j = store.job(msg.id);
      if (!j)
        return fail(j.error());
      if (!*j || (*j)->owner != msg.owner)
        return fail(error{errc::not_found, "job '" + msg.id + "' not found"});
      auto tasks = store.tasks_of_job(msg.id);
      if (!tasks)
        return fail(tasks.error());
      json::array views;
      for (const auto& t : *tasks)
        views.push_back(task_view_json(t));
      return msg.done(job_view_json(**j, counts_of(*tasks), std::move(views)));
    }
    // list_jobs: page through the owner's jobs, filtered by status.
    json::array out;
    std::size_t skipped = 0;
    std::size_t offset = 0;
    const std::size_t page = 256;
    while (out.size() < msg.query.limit) {
      auto jobs = store.jobs(msg.owner, page, offset);
      if (!jobs)
        return fail(jobs.error());
      if (jobs->empty())
        break;
      offset += jobs->size();
      for (const auto& j : *jobs) {
        auto by_state = store.task_counts_of_job(j.job_id);
        if (!by_state)
          return fail(by_state.error());
        std::array<int64_t, 8> counts{};
        for (const auto& [state, n] : *by_state)
          counts[static_cast<size_t>(state)] = n;
        auto status = job_status_of(counts);
        if (!msg.query.status.empty() && status != msg.query.status)
          continue;
        if (skipped < msg.query.offset) {
          ++skipped;
          continue;
        }
        auto view = job_view_json(j, counts, {});
        view.as_object().erase("tasks");
        out.push_back(std::move(view));
        if (out.size() >= msg.query.limit)
          break;
      }
    }
    msg.done(json::value{json::object{{"jobs", std::move(out)}}});
  });
}

} // namespace

dispatcher_actor::behavior_type
dispatcher(dispatcher_actor::stateful_pointer<dispatcher_actor_state> self,
           std::unique_ptr<dispatcher_state> logic, dispatcher_options opts) {
  auto& st = self->state;
  st.logic = std::move(logic);
  st.opts = std::move(opts);
  holon_options root_opts;
  root_opts.ttl_ms = 0;
  root_opts.child_ttl_ms = st.opts.holon_ttl_ms;
  root_opts.clock = st.opts.clock;
  st.root = self->spawn<caf::linked>(
      holon, std::string{"root"}, std::shared_ptr<const worker_registration>{},
      root_opts, caf::actor_cast<dispatcher_actor>(self), self->address());
  schedule_tick(self);
  return {
      // -- hot path ----------------------------------------------------------
      // First: CAF tries the handlers in order, and every handler of a
      // user-defined message type ahead of the match costs a type check.
      [self](poll_msg& msg) {
        auto& s = self->state;
        auto id = s.next_poll++;
        auto& fx = s.poll_effects;
        fx.clear();
        s.logic->poll(id, msg.req, now_of(self), fx);
        // Answered at once (under load, most polls): the callback needs no
        // entry in `polls`, which only parked polls wait in.
        auto at_once = std::find_if(fx.answers.begin(), fx.answers.end(),
                                    [id](const auto& a) { return a.id == id; });
        if (at_once == fx.answers.end()) {
          s.polls.emplace(id, std::move(msg.done));
          carry_out(self, fx);
          return;
        }
        auto outcome = std::move(at_once->outcome);
        fx.answers.erase(at_once);
        carry_out(self, fx);
        msg.done(std::move(outcome));
      },
      [self](result_msg& msg) {
        auto& s = self->state;
        if (!s.opts.writer) {
          effects fx;
          auto reply = s.logic->post_result(msg.worker_id, std::move(msg.res),
                                            now_of(self), fx);
          carry_out(self, fx,
                    reply_after_commit(std::move(msg.done), std::move(reply)));
          return;
        }
        // Its changes join those gathered in result_effects.
        auto reply = s.logic->post_result(msg.worker_id, std::move(msg.res),
                                          now_of(self), s.result_effects);
        carry_out_result(self, std::move(msg.done), std::move(reply));
      },
      [self](flush_atom) {
        self->state.flush_sent = false;
        hand_over_results(self->state);
      },
      [self](results_msg& msg) {
        // One step for the whole batch: one commit, then every reply in order.
        effects fx;
        auto now = now_of(self);
        std::vector<std::pair<callback<json::value>, json::value>> replies;
        replies.reserve(msg.items.size());
        // A software pipeline: the id text of result i + 3d, the slot of
        // result i + 2d and the entry of result i + d are fetched while
        // result i is posted (at scale all of them went cold since the
        // task was handed out).
        constexpr std::size_t d = 8;
        auto& logic = *self->state.logic;
        auto& items = msg.items;
        for (std::size_t i = 0; i < std::min(3 * d, items.size()); ++i)
          __builtin_prefetch(items[i].res.task_id.data());
        for (std::size_t i = 0; i < std::min(2 * d, items.size()); ++i)
          logic.prefetch_slot(items[i].res.task_id);
        for (std::size_t i = 0; i < std::min(d, items.size()); ++i)
          logic.prefetch_entry(items[i].res.task_id);
        for (std::size_t i = 0; i < items.size(); ++i) {
          if (i + 3 * d < items.size())
            __builtin_prefetch(items[i + 3 * d].res.task_id.data());
          if (i + 2 * d < items.size())
            logic.prefetch_slot(items[i + 2 * d].res.task_id);
          if (i + d < items.size())
            logic.prefetch_entry(items[i + d].res.task_id);
          auto& r = items[i];
          replies.emplace_back(
              std::move(r.done),
              logic.post_result(r.worker_id, std::move(r.res), now, fx));
        }
        carry_out(self, fx, reply_all_after_commit(std::move(replies)));
      },
      // -- holons -----------------------------------------------------------
      [self](register_msg& msg) {
        auto& s = self->state;
        holon_actor parent = s.root;
        if (!msg.parent_id.empty()) {
          auto p = s.holons.find(msg.parent_id);
          if (p == s.holons.end()) {
            msg.done(error{errc::not_found,
                           "parent holon '" + msg.parent_id + "' not found"});
            return;
          }
          parent = p->second.handle;
        }
        uint64_t request = 0;
        if (msg.done) {
          request = s.next_registration++;
          s.registrations.emplace(request, std::move(msg.done));
        }
        self->send(parent, spawn_child_msg{std::move(msg.reg), request});
      },
      [self](holon_up_msg& msg) {
        auto& s = self->state;
        auto now = now_of(self);
        const auto id = msg.reg.worker_id;
        auto parent
            = msg.parent_id == "root" ? std::string{"root"} : msg.parent_id;
        effects fx;
        if (msg.restarted)
          s.logic->requeue_leases(id, now, fx);
        s.logic->add_holon(msg.reg, now);
        auto& link = s.holons[id];
        if (link.parent.empty()) {
          link.parent = parent;
          s.children[parent].push_back(id);
        }
        link.handle = caf::actor_cast<holon_actor>(msg.holon);
        link.last_touch_ms = now;
        if (s.opts.writer) // without a store the record would be dropped
          fx.changes.holons.push_back(
              {id, parent == "root" ? "" : parent, to_json(msg.reg), now});
        callback<json::value> done;
        if (auto w = s.registrations.find(msg.request);
            w != s.registrations.end()) {
          done = std::move(w->second);
          s.registrations.erase(w);
        }
        if (!done) {
          carry_out(self, fx);
          return;
        }
        json::value ack = json::object{{"status", "registered"},
                                       {"worker_id", id},
                                       {"version", RXON_PROTOCOL_VERSION}};
        carry_out(self, fx,
                  reply_after_commit(std::move(done), std::move(ack)));
      },
      [self](down_atom, const std::string& id, bool lost) {
        remove_subtree(self, id, lost);
      },
      [self](crash_atom, const std::string& id) {
        // Fault injection (simulation): an abnormal exit, as from a crash.
        if (auto h = self->state.holons.find(id); h != self->state.holons.end())
          self->send(h->second.handle, crash_atom::value);
      },
      // -- worker side ------------------------------------------------------
      [self](heartbeat_msg& msg) {
        effects fx;
        auto reply = self->state.logic->heartbeat(msg.worker_id, msg.hb,
                                                  now_of(self), fx);
        carry_out(self, fx);
        msg.done(std::move(reply));
      },
      [self](event_msg& msg) {
        effects fx;
        auto reply = self->state.logic->post_event(msg.worker_id, msg.ev,
                                                   now_of(self), fx);
        carry_out(self, fx);
        msg.done(std::move(reply));
      },
      [self](return_msg& msg) {
        effects fx;
        self->state.logic->return_task(msg.worker_id, msg.task_id, now_of(self),
                                       fx);
        carry_out(self, fx);
      },
      [self](attach_msg& msg) {
        self->state.sinks[msg.worker_id] = dispatcher_actor_state::sink_entry{
            msg.token, std::move(msg.sink)};
      },
      [self](detach_atom, const std::string& worker_id, uint64_t token) {
        auto& sinks = self->state.sinks;
        if (auto i = sinks.find(worker_id);
            i != sinks.end() && i->second.token == token)
          sinks.erase(i);
      },
      // -- client side ------------------------------------------------------
      [self](submit_msg& msg) {
        auto& held = self->state.held_submits;
        if (held.empty() && !writer_backlogged(self->state)) {
          accept_submit(self, msg);
          return;
        }
        held.push_back(std::move(msg));
        if (held.size() == 1)
          self->delayed_send(self, std::chrono::milliseconds(1),
                             held_atom::value);
      },
      [self](held_atom) { accept_held_submits(self); },
      [self](client_msg& msg) { answer_client(self, msg); },
      [self](metrics_msg& msg) {
        msg.done(prometheus_text(self->state.logic->stats()));
      },
      [self](stats_msg& msg) {
        // orchestrator::flush relies on this: what the actor gathered is
        // with the writer once the stats are out.
        if (self->state.opts.writer)
          hand_over_results(self->state);
        msg.done(self->state.logic->stats());
      },
      [self](subtree_msg& msg) {
        auto v = self->state.logic->subtree(msg.known_version);
        if (msg.wait_ms <= 0 || v.idle_polls > 0 || v.full) {
          msg.done(std::move(v));
          return;
        }
        self->state.idle_waiters.push_back({now_of(self) + msg.wait_ms,
                                            msg.known_version,
                                            std::move(msg.done)});
        self->delayed_send(self, std::chrono::milliseconds(msg.wait_ms),
                           tick_atom::value);
      },
      [self](drain_atom) {
        effects fx;
        self->state.logic->drain(fx);
        carry_out(self, fx);
      },
      // -- time -------------------------------------------------------------
      [self](tick_atom) {
        answer_idle_waiters(self);
        auto& s = self->state;
        auto now = now_of(self);
        if (now < s.tick_at) {
          // An earlier tick was superseded; the latest one is still pending.
          return;
        }
        s.tick_at = INT64_MAX;
        effects fx;
        s.logic->tick(now, fx);
        carry_out(self, fx);
      },
  };
}

std::string prometheus_text(const dispatch_stats& s) {
  std::string out;
  out += "# HELP rxon_tasks Tasks in memory by state.\n";
  out += "# TYPE rxon_tasks gauge\n";
  for (size_t i = 0; i < s.tasks_by_state.size(); ++i) {
    out += "rxon_tasks{state=\"";
    out += storage::to_string(static_cast<storage::task_state>(i));
    out += "\"} " + std::to_string(s.tasks_by_state[i]) + "\n";
  }
  out += "# HELP rxon_queue_depth Pending tasks ready for dispatch.\n";
  out += "# TYPE rxon_queue_depth gauge\n";
  out += "rxon_queue_depth " + std::to_string(s.queued) + "\n";
  out += "# HELP rxon_parked_polls Long polls waiting for a task.\n";
  out += "# TYPE rxon_parked_polls gauge\n";
  out += "rxon_parked_polls " + std::to_string(s.parked_polls) + "\n";
  out += "# HELP rxon_holons Registered holons.\n";
  out += "# TYPE rxon_holons gauge\n";
  out += "rxon_holons " + std::to_string(s.holons) + "\n";
  out += "# HELP rxon_dispatched_total Tasks handed to holons.\n";
  out += "# TYPE rxon_dispatched_total counter\n";
  out += "rxon_dispatched_total " + std::to_string(s.dispatched) + "\n";
  out += "# HELP rxon_dispatch_latency_ms Submit-to-delivery latency.\n";
  out += "# TYPE rxon_dispatch_latency_ms histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < s.latency_buckets.size(); ++i) {
    cumulative += s.latency_counts[i];
    out += "rxon_dispatch_latency_ms_bucket{le=\"";
    out += std::to_string(s.latency_buckets[i]) + "\"} "
           + std::to_string(cumulative) + "\n";
  }
  cumulative += s.latency_counts.back();
  out += "rxon_dispatch_latency_ms_bucket{le=\"+Inf\"} "
         + std::to_string(cumulative) + "\n";
  out += "rxon_dispatch_latency_ms_count " + std::to_string(cumulative) + "\n";
  out += "rxon_dispatch_latency_ms_sum " + std::to_string(s.latency_sum_ms)
         + "\n";
  return out;
}

} // namespace rxon::actors
