#include "storage/wal_checkpointer.hpp"

#include "storage/sqlite_handle.hpp"

#include <pthread.h>

namespace rxon::storage::sqlite {

namespace {

/// How far (in thresholds) the WAL may outgrow the checkpoints before the
/// writer checkpoints itself (and SQLite can restart the WAL).
constexpr int backlog_limit = 4;

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
  if (frames < c.requested_at_)
    c.requested_at_ = 0;
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
    std::lock_guard pass{pass_mu_};
    if (sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                  &log_frames, &copied)
            == SQLITE_OK
        && copied > 0)
      done_.fetch_add(1, std::memory_order_relaxed);
  }
}

} // namespace rxon::storage::sqlite
