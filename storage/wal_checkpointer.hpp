#pragma once

// Checkpoints a WAL database on a thread and a connection of its own, so a
// commit never waits for a checkpoint's page copies and fsyncs (SQLite's
// automatic checkpoint runs them inside the commit that crosses the
// threshold). Private to storage/: sees sqlite3.h.

#include "protocol/error.hpp"

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace rxon::storage::sqlite {

class wal_checkpointer {
public:
  /// Frames per checkpoint: a page that many commits rewrite is copied
  /// once per pass, so fewer, larger passes copy less.
  static constexpr int default_threshold = 4000;

  /// Opens its own connection to `path` and starts its thread.
  /// `threshold`: WAL frames (pages) that start a checkpoint.
  /// `thread_init` (optional) runs first on the thread.
  static result<std::unique_ptr<wal_checkpointer>>
  start(const std::string& path, int threshold = default_threshold,
        std::function<void()> thread_init = {});

  /// Unhooks from the writer connection, stops the thread, closes.
  ~wal_checkpointer();
  wal_checkpointer(const wal_checkpointer&) = delete;
  wal_checkpointer& operator=(const wal_checkpointer&) = delete;

  /// Takes over checkpoints of `writer` (SQLite's automatic ones stop):
  /// after each of its commits, the hook wakes the thread once the WAL
  /// holds `threshold` frames. Should this thread fall far behind, the
  /// writer checkpoints itself, so the WAL stays bounded.
  void attach(sqlite3* writer);

  /// Checkpoints run by this thread so far that copied WAL frames.
  uint64_t checkpoints() const noexcept {
    return done_.load(std::memory_order_relaxed);
  }

private:
  wal_checkpointer(sqlite3* own, int threshold,
                   std::function<void()> thread_init);
  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
  void run();

  sqlite3* own_;
  sqlite3* writer_ = nullptr;
  const int threshold_;
  std::atomic<bool> requested_{false};
  int requested_at_ = 0; ///< WAL frames at the last wake-up (writer thread)
  std::atomic<uint64_t> done_{0};
  std::mutex pass_mu_; ///< held for each checkpoint, by thread or writer
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false; // guarded by mu_
  std::thread thread_;
};

} // namespace rxon::storage::sqlite
