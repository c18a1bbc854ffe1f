#include "storage/wal_checkpointer.hpp"

#include "storage/sqlite_handle.hpp"

#include <pthread.h>

namespace rxon::storage::sqlite {

namespace {

/// The WAL size (in thresholds) from which the writer restarts it under
/// load: about 256 MB. Restarting needs all of the WAL copied at a write,
/// which under steady commits the thread never achieves, so the writer
/// copies the rest itself, between two commits, stalling every client
/// waiting on a commit; right after one of the thread's passes little is
/// left, but the copy's fsyncs and the new WAL header's still cost. Timed
/// in an instrumented build of bench dispatch --durable (1k holons):
/// copying whatever was left at 4 thresholds (the former rule) stalled
/// 30-50 ms two or three times per 200k tasks; copying after every pass
/// stalled 3-6 ms each time but restarted so often that tasks/s fell 6%;
/// this rule stalled 21-45 ms (once 165 ms) four times in a run of 1M
/// tasks, and not in one of 200k. An idle writer restarts the WAL long
/// before this (writer_idle).
constexpr int restart_limit = 16;

/// The bound: should the thread's passes fall this far behind, the writer
/// copies the rest however large it is.
constexpr int backlog_limit = 20;

} // namespace

result<std::unique_ptr<wal_checkpointer>>
wal_checkpointer::start(const std::string& path, int threshold,
                        std::function<void()> thread_init) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  db_ptr db{raw};
  if (rc != SQLITE_OK)
    return fail(db.get(), "open '" + path + "' for checkpoints", rc);
  sqlite3_busy_timeout(db.get(), 5000);
  // A connection learns that the database is in WAL mode only when it
  // first reads it; until then a checkpoint on it silently does nothing
  // (it reports -1 frames).
  if (auto st = exec(db.get(), "SELECT count(*) FROM sqlite_master",
                     "checkpointer first read");
      !st)
    return std::move(st).error();
  return std::unique_ptr<wal_checkpointer>{
      new wal_checkpointer(db.release(), threshold, std::move(thread_init))};
}

wal_checkpointer::wal_checkpointer(sqlite3* own, int threshold,
                                   std::function<void()> thread_init)
    : own_(own), threshold_(threshold > 0 ? threshold : default_threshold) {
  thread_ = std::thread([this, init = std::move(thread_init)] {
    pthread_setname_np(pthread_self(), "rxon.checkpoint");
    if (init)
      init();
    run();
  });
}

wal_checkpointer::~wal_checkpointer() {
  if (writer_)
    sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard lock{mu_};
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  sqlite3_close_v2(own_);
}

void wal_checkpointer::attach(sqlite3* writer) {
  writer_ = writer;
  sqlite3_wal_hook(writer, &wal_checkpointer::on_commit, this);
}

int wal_checkpointer::on_commit(void* self, sqlite3* db, const char*,
                                int frames) {
  auto& c = *static_cast<wal_checkpointer*>(self);
  // `frames` counts from the start of the WAL; it drops when SQLite
  // restarts the WAL (at a write after a checkpoint that copied it all).
  if (frames < c.frames_)
    c.restarts_.fetch_add(1, std::memory_order_relaxed);
  c.frames_ = frames;
  if (frames < c.requested_at_)
    c.requested_at_ = 0;
  if (frames >= restart_limit * c.threshold_ && c.copy_rest_after_pass(db))
    return SQLITE_OK;
  if (frames >= backlog_limit * c.threshold_) {
    // Far behind: SQLite restarts the WAL only at a write that finds all
    // of it copied, and under a steady stream of commits the thread never
    // catches up to the latest one. Copy the rest here, between two
    // commits, where nothing appends meanwhile (after the thread's pass in
    // progress, if any: mostly copied by then), so the next write
    // restarts the WAL.
    std::lock_guard pass{c.pass_mu_};
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
    return SQLITE_OK;
  }
  // One wake-up per `threshold` new frames. Waking it at every commit once
  // the WAL is past the threshold would keep it checkpointing all the
  // time, and a checkpoint in progress stops SQLite from restarting the
  // WAL: it would only grow, up to the fallback above.
  if (frames - c.requested_at_ >= c.threshold_) {
    c.requested_at_ = frames;
    c.requested_.store(true, std::memory_order_release);
    { std::lock_guard lock{c.mu_}; }
    c.cv_.notify_one();
  }
  return SQLITE_OK;
}

bool wal_checkpointer::copy_rest_after_pass(sqlite3* db) {
  // Only what was committed during the thread's last pass is left, if that
  // pass ran in this WAL (a restart since makes its end stale) and nothing
  // much was committed since.
  const auto gen = restarts_.load(std::memory_order_relaxed);
  const auto end = pass_end_.load(std::memory_order_acquire);
  const auto copied = static_cast<int>(end & 0xffffffffu);
  if (rest_copied_in_ == gen || (end >> 32) != (gen & 0xffffffffu)
      || copied <= 0 || frames_ - copied > threshold_ / 4)
    return false;
  std::unique_lock pass{pass_mu_, std::try_to_lock};
  if (!pass.owns_lock()) // the thread runs another pass: after that one
    return false;
  rest_copied_in_ = gen; // once per WAL, even should a reader block it
  sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                            nullptr);
  return true;
}

void wal_checkpointer::writer_idle() {
  // Worth it once the WAL holds a threshold of frames, and once per WAL:
  // after the copy the next write restarts it (should a reader have kept
  // the copy from completing, the next quiet spell after a commit retries).
  if (!writer_ || frames_ < threshold_ || frames_ == idle_copied_at_)
    return;
  idle_copied_at_ = frames_;
  std::lock_guard pass{pass_mu_}; // after the thread's pass, if any
  sqlite3_wal_checkpoint_v2(writer_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                            nullptr, nullptr);
}

void wal_checkpointer::run() {
  for (;;) {
    {
      std::unique_lock lock{mu_};
      cv_.wait(lock, [&] {
        return stop_ || requested_.load(std::memory_order_acquire);
      });
      if (stop_)
        return;
    }
    requested_.store(false, std::memory_order_release);
    // PASSIVE: copies what no reader still needs, never blocks the writer.
    // The writer restarts the WAL from the top once all of it is copied.
    int log_frames = 0;
    int copied = 0;
    // The WAL this pass runs in: a restart meanwhile makes its end stale.
    const uint64_t gen
        = restarts_.load(std::memory_order_relaxed) & 0xffffffffu;
    std::lock_guard pass{pass_mu_};
    if (sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                  &log_frames, &copied)
            == SQLITE_OK
        && copied > 0) {
      done_.fetch_add(1, std::memory_order_relaxed);
      pass_end_.store(gen << 32 | static_cast<uint32_t>(copied),
                      std::memory_order_release);
    }
  }
}

} // namespace rxon::storage::sqlite
