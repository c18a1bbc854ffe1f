#include "storage/writer.hpp"

#include "storage/commit_pacing.hpp"
#include "storage/validation.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <future>
#include <mutex>
#include <pthread.h>
#include <string_view>
#include <thread>
#include <vector>

namespace rxon::storage {

namespace {

std::size_t size_of(const change_batch& b) noexcept {
  return b.jobs.size() + b.tasks.size() + b.task_updates.size()
         + b.finished_jobs.size() + b.holons.size() + b.removed_holons.size()
         + b.events.size();
}

/// Keeps only the last upsert of each id; the survivors keep the position
/// of their last occurrence, so the group means the same as before. Sorting
/// (hash, index) pairs costs one allocation per group instead of one node
/// per record as a hash map would.
template <class Rec, class Id>
void keep_last(std::vector<const Rec*>& recs, Id id_of) {
  if (recs.size() < 2)
    return;
  // Ids in increasing order are distinct: the dispatcher puts tasks in
  // the order of their ids (which sort by time and sequence), so a group's
  // puts usually need one pass, no hashing and no sort.
  auto not_before
      = [&](const Rec* a, const Rec* b) { return !(id_of(*a) < id_of(*b)); };
  if (std::adjacent_find(recs.begin(), recs.end(), not_before) == recs.end())
    return;
  std::vector<std::pair<std::size_t, std::size_t>> keys(recs.size());
  std::hash<std::string_view> hash;
  for (std::size_t i = 0; i < recs.size(); ++i)
    keys[i] = {hash(id_of(*recs[i])), i};
  std::sort(keys.begin(), keys.end());
  bool any = false;
  for (std::size_t k = 0; k < keys.size(); ++k)
    for (auto j = k + 1; j < keys.size() && keys[j].first == keys[k].first; ++j)
      if (id_of(*recs[keys[j].second]) == id_of(*recs[keys[k].second])) {
        recs[keys[k].second] = nullptr; // a later upsert of the same id
        any = true;
        break;
      }
  if (any)
    std::erase(recs, nullptr);
}

/// Folds each update of a task put in the same group into that put, so a
/// task submitted and advanced within one commit costs one row write.
/// change_group::add() already dropped the updates that a later put
/// supersedes, so every update left here applies after its put: the
/// meaning is kept. The puts are edited in place: the writer owns the
/// batches the group points into.
void fold_updates(change_group& g) {
  if (g.tasks.empty() || g.task_updates.empty())
    return;
  std::hash<std::string_view> hash;
  std::vector<std::pair<std::size_t, std::size_t>> puts(g.tasks.size());
  for (std::size_t i = 0; i < g.tasks.size(); ++i)
    puts[i] = {hash(g.tasks[i]->task_id), i};
  std::sort(puts.begin(), puts.end());
  auto put_of = [&](const std::string& id) -> task_record* {
    auto h = hash(id);
    auto it = std::lower_bound(puts.begin(), puts.end(),
                               std::pair{h, std::size_t{0}});
    for (; it != puts.end() && it->first == h; ++it)
      if (g.tasks[it->second]->task_id == id)
        return const_cast<task_record*>(g.tasks[it->second]);
    return nullptr;
  };
  std::erase_if(g.task_updates, [&](const task_update* u) {
    auto* t = put_of(u->task_id);
    if (t)
      std::move(*const_cast<task_update*>(u)).apply_to(*t);
    return t != nullptr;
  });
}

void collapse(change_group& g) {
  keep_last(g.jobs,
            [](const job_record& j) -> std::string_view { return j.job_id; });
  keep_last(g.tasks,
            [](const task_record& t) -> std::string_view { return t.task_id; });
  keep_last(g.task_updates,
            [](const task_update& u) -> std::string_view { return u.task_id; });
  fold_updates(g);
  keep_last(g.holons, [](const holon_record& h) -> std::string_view {
    return h.holon_id;
  });
}

template <class F, class... Ts>
void run_guarded(F& fn, Ts&&... xs) noexcept {
  try {
    fn(std::forward<Ts>(xs)...);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rxon storage writer: callback threw: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "rxon storage writer: callback threw\n");
  }
}

} // namespace

struct writer::impl {
  /// A submission (batch + done) or, when `reader` is set, a read barrier.
  struct item {
    change_batch batch;
    done_fn done;
    std::function<void(store&)> reader;
    status valid; ///< its validation, run on the writer thread at commit
  };

  std::unique_ptr<store> store_;
  writer_options opts_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  // A vector, swapped with the writer's emptied one at each take: a deque
  // allocated a block per item (an item is bigger than its 512-byte
  // blocks), on the submitting thread, freed on the writer's.
  std::vector<item> queue_;        // guarded by mtx_
  std::size_t queued_changes_ = 0; // guarded by mtx_
  std::size_t queued_reads_ = 0;   // guarded by mtx_
  bool stopping_ = false;          // guarded by mtx_
  // When the oldest queued item arrived; guarded by mtx_.
  std::chrono::steady_clock::time_point oldest_;
  uint64_t arrivals_ = 0; // guarded by mtx_
  std::atomic<uint64_t> commits_{0};
  commit_pacing pacing_; // writer thread only
  std::thread thread_;

  impl(std::unique_ptr<store> st, writer_options opts)
      : store_(std::move(st)), opts_(opts) {
    if (opts_.max_changes == 0)
      opts_.max_changes = 1;
    thread_ = std::thread([this] {
      // Named for top -H, perf and `rxon bench`'s per-thread figures.
      pthread_setname_np(pthread_self(), "rxon.writer");
      if (opts_.thread_init)
        opts_.thread_init();
      run();
    });
  }

  void push(item it) {
    bool wake = false;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      // Wake the writer only when this item changes what it waits for: the
      // first item starts the group's delay, a read or a full group ends
      // it. Waking it for every submission would cost two context switches
      // per change while it waits out the delay anyway.
      if (queue_.empty()) {
        oldest_ = std::chrono::steady_clock::now();
        wake = true;
      }
      queued_changes_ += size_of(it.batch);
      ++arrivals_;
      if (it.reader) {
        ++queued_reads_;
        wake = true;
      }
      wake = wake || queued_changes_ >= opts_.max_changes;
      queue_.push_back(std::move(it));
    }
    if (wake)
      cv_.notify_one();
  }

  void stop() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  /// Takes everything queued, once the group is ready:
  /// - a read or a full group is waiting: at once;
  /// - max_delay set: when the oldest item is max_delay old (under load
  ///   items aged during the previous commit, so no extra wait);
  /// - otherwise (paced): at once while the writer has time to spare, so
  ///   an acknowledgement costs one commit. Once it is loaded (see
  ///   commit_pacing) and changes arrived during its last commit, the
  ///   group gathers while changes keep coming (one per quiet_gap at
  ///   least), until its oldest is busy_gather old. When every client
  ///   waits on this commit arrivals stop, and it goes at once.
  /// Swaps the queued items into `out` (empty, its capacity kept from the
  /// last round). Empty means "stop".
  void take(std::vector<item>& out) {
    using clock = std::chrono::steady_clock;
    std::unique_lock<std::mutex> lock{mtx_};
    const bool arrived = !queue_.empty();
    if (!arrived) {
      auto t0 = clock::now();
      auto woken = [&] { return stopping_ || !queue_.empty(); };
      if (!cv_.wait_for(lock, opts_.idle_after, woken)) {
        // Quiet for a while: housekeeping now stalls no one (a change
        // that arrives meanwhile waits for it, once per quiet spell).
        lock.unlock();
        store_->idle();
        lock.lock();
        cv_.wait(lock, woken);
      }
      pacing_.idled(clock::now() - t0);
    }
    auto ready = [&] {
      return stopping_ || queued_reads_ > 0
             || queued_changes_ >= opts_.max_changes;
    };
    if (!ready() && opts_.max_delay.count() > 0)
      cv_.wait_until(lock, oldest_ + opts_.max_delay, ready);
    else if (!ready() && arrived && opts_.busy_gather.count() > 0
             && pacing_.loaded())
      gather(lock, ready);
    out.swap(queue_);
    queued_changes_ = 0;
    queued_reads_ = 0;
  }

  template <class Ready>
  void gather(std::unique_lock<std::mutex>& lock, Ready& ready) {
    const auto until = oldest_ + opts_.busy_gather;
    for (;;) {
      const auto seen = arrivals_;
      const auto now = std::chrono::steady_clock::now();
      if (now >= until)
        return;
      if (cv_.wait_until(lock, std::min(until, now + opts_.quiet_gap), ready))
        return;
      if (arrivals_ == seen)
        return; // quiet: the clients wait on this commit
    }
  }

  void run() {
    std::vector<item> items;
    for (;;) {
      take(items);
      if (items.empty())
        return;
      auto t0 = std::chrono::steady_clock::now();
      std::size_t first = 0;
      std::size_t changes = 0;
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].reader) {
          commit(items, first, i);
          run_guarded(items[i].reader, *store_);
          first = i + 1;
          changes = 0;
          continue;
        }
        auto n = size_of(items[i].batch);
        if (changes > 0 && changes + n > opts_.max_changes) {
          commit(items, first, i);
          first = i;
          changes = 0;
        }
        changes += n;
      }
      commit(items, first, items.size());
      pacing_.committed(std::chrono::steady_clock::now() - t0);
      items.clear(); // callbacks and batches go before the writer waits
    }
  }

  /// Commits items [first, last) in one transaction, then runs their
  /// callbacks in submission order. A submission that fails validation is
  /// left out and gets its own error; a failed transaction fails the group.
  void commit(std::vector<item>& items, std::size_t first, std::size_t last) {
    if (first == last)
      return;
    // The records stay in their submissions: the group points into them.
    change_group group;
    for (std::size_t i = first; i < last; ++i) {
      items[i].valid = validate(items[i].batch);
      if (items[i].valid)
        group.add(items[i].batch);
    }
    collapse(group);
    status st;
    if (!group.empty()) {
      st = store_->apply_group(group); // each submission was validated
      if (st)
        commits_.fetch_add(1, std::memory_order_relaxed);
    }
    for (std::size_t i = first; i < last; ++i)
      if (items[i].done)
        run_guarded(items[i].done, items[i].valid ? st : items[i].valid);
  }
};

writer::writer(std::unique_ptr<store> st, writer_options opts)
    : impl_(std::make_unique<impl>(std::move(st), opts)) {}

writer::~writer() {
  impl_->stop();
}

void writer::submit(change_batch batch, done_fn done) {
  // Validated on the writer thread, at commit, item by item (a bad
  // submission fails alone): validation reads the records' JSON (~580
  // instructions per task in bench dispatch --durable), and the submitter,
  // the dispatcher, was the busier thread when this moved here (session 19;
  // since session 21 the two carry about equal work, bench/README.md).
  impl_->push({std::move(batch), std::move(done), {}, {}});
}

void writer::read(std::function<void(store&)> fn) {
  if (!fn)
    fn = [](store&) {};
  impl_->push({{}, {}, std::move(fn), {}});
}

void writer::flush() {
  std::promise<void> done;
  auto fut = done.get_future();
  read([&done](store& st) {
    st.idle();
    done.set_value();
  });
  fut.wait();
}

uint64_t writer::commits() const noexcept {
  return impl_->commits_.load(std::memory_order_relaxed);
}

std::size_t writer::queued_changes() const {
  std::lock_guard<std::mutex> guard{impl_->mtx_};
  return impl_->queued_changes_;
}

} // namespace rxon::storage
