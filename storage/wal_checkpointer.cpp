#include "storage/wal_checkpointer.hpp"

#include "storage/sqlite_handle.hpp"

namespace rxon::storage::sqlite {

namespace {

/// How far (in thresholds) the WAL may outgrow the checkpoints before the
/// writer checkpoints itself.
constexpr int backlog_limit = 16;

} // namespace

result<std::unique_ptr<wal_checkpointer>>
wal_checkpointer::start(const std::string& path, int threshold) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  db_ptr db{raw};
  if (rc != SQLITE_OK)
    return fail(db.get(), "open '" + path + "' for checkpoints", rc);
  sqlite3_busy_timeout(db.get(), 5000);
  return std::unique_ptr<wal_checkpointer>{
      new wal_checkpointer(db.release(), threshold)};
}

wal_checkpointer::wal_checkpointer(sqlite3* own, int threshold)
    : own_(own), threshold_(threshold > 0 ? threshold : 1000) {
  thread_ = std::thread([this] { run(); });
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
  if (frames >= backlog_limit * c.threshold_) {
    // Far behind (a long burst of commits): catch up here, between two
    // commits, where nothing can append to the WAL meanwhile. Busy (the
    // thread is checkpointing) is fine.
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
    return SQLITE_OK;
  }
  // One wake-up per checkpoint, not per commit.
  if (frames >= c.threshold_
      && !c.requested_.exchange(true, std::memory_order_acq_rel)) {
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
    if (sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                  nullptr, nullptr)
        == SQLITE_OK)
      done_.fetch_add(1, std::memory_order_relaxed);
  }
}

} // namespace rxon::storage::sqlite
