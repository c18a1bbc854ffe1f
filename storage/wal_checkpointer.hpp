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
  /// holds `threshold` frames. Once the WAL is large, the writer copies
  /// what is left after one of the thread's passes, so that SQLite can
  /// restart the WAL; should the thread fall far behind, the writer copies
  /// the rest however large, so the WAL stays bounded.
  void attach(sqlite3* writer);

  /// Called on the writer's thread when it has nothing to do for a while:
  /// copies the rest of a WAL past the threshold, so the next write
  /// restarts it. Under load SQLite can restart the WAL only when the
  /// writer copies the rest itself (a stall of tens of milliseconds, see
  /// wal_checkpointer.cpp); a pause between bursts does it for free.
  void writer_idle();

  /// Checkpoints run by this thread so far that copied WAL frames.
  uint64_t checkpoints() const noexcept {
    return done_.load(std::memory_order_relaxed);
  }

  /// WAL restarts seen at the writer's commits so far.
  uint64_t restarts() const noexcept {
    return restarts_.load(std::memory_order_relaxed);
  }

private:
  wal_checkpointer(sqlite3* own, int threshold,
                   std::function<void()> thread_init);
  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
  /// On the writer's thread: copies the rest of the WAL if one of the
  /// thread's passes just left little of it. Whether it did.
  bool copy_rest_after_pass(sqlite3* db);
  void run();

  sqlite3* own_;
  sqlite3* writer_ = nullptr;
  const int threshold_;
  std::atomic<bool> requested_{false};
  // Writer thread only: WAL frames at the last wake-up and at the last
  // commit, frames_ at the last writer_idle copy, and the WAL generation
  // (restarts so far) of the last copy after a pass (on_commit).
  int requested_at_ = 0;
  int frames_ = 0;
  int idle_copied_at_ = -1;
  uint64_t rest_copied_in_ = ~uint64_t{0};
  std::atomic<uint64_t> done_{0};
  std::atomic<uint64_t> restarts_{0};
  /// The thread's last pass: the WAL generation it ran in (low 32 bits of
  /// restarts_, high 32 bits here) and the frames copied by its end.
  std::atomic<uint64_t> pass_end_{0};
  std::mutex pass_mu_; ///< held for each checkpoint, by thread or writer
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false; // guarded by mu_
  std::thread thread_;
};

} // namespace rxon::storage::sqlite
