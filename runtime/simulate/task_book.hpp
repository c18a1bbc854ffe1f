#pragma once

// The simulator's per-task bookkeeping: submit time, flags and the id the
// orchestrator gave each task. Stored in chunks of consecutive task indexes;
// a chunk is freed once all its tasks completed, so memory follows the
// tasks in flight rather than every task ever submitted.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rxon::runtime::simulate {

class task_book {
public:
  enum flag : uint8_t { delivered = 1, completed = 2, watched = 4 };
  static constexpr uint64_t chunk_size = 1 << 16;

  /// Adds `n` tasks submitted at `at`; indexes continue from size().
  void add(uint64_t n, int64_t at);
  /// Records the id of the next task without one (in index order).
  void set_next_id(const std::string& id);
  uint64_t size() const noexcept { return size_; }
  uint64_t ids_known() const noexcept { return ids_; }

  /// Flags of task `i`; 0 for a task whose chunk is gone (all completed,
  /// so `completed` is reported for it).
  uint8_t flags(uint64_t i) const;
  void set(uint64_t i, uint8_t f);
  /// Marks task `i` completed; frees its chunk when it was the last one.
  void complete(uint64_t i);
  int64_t submitted_at(uint64_t i) const;
  /// The orchestrator's id of task `i` (its chunk must still be there).
  std::string id(uint64_t i) const;
  /// Chunks still held (for tests).
  std::size_t live_chunks() const;

private:
  struct chunk {
    std::vector<int64_t> submitted;
    std::vector<uint8_t> flags;
    std::string ids;
    std::vector<uint32_t> id_end;
    uint64_t open = 0; ///< tasks added and not completed
  };
  chunk* at(uint64_t i) const;

  std::vector<std::unique_ptr<chunk>> chunks_;
  uint64_t size_ = 0;
  uint64_t ids_ = 0;
};

} // namespace rxon::runtime::simulate
