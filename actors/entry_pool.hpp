#pragma once

// Slab storage for the dispatcher's task entries, on small pages.
//
// A burst of submissions creates one entry per task (200k tasks: ~90 MB)
// in memory the process never touched. With the heap on transparent huge
// pages (runtime/jemalloc_conf.cpp) each such fault takes a free 2 MiB
// block, and on a VM with free page reporting (virtio-balloon) those blocks
// went back to the host, which backs them again 4 KiB at a time while the
// kernel zeroes them: bench dispatch --durable spent 10-25% of the
// dispatcher thread in clear_page_erms. Small pages come from the kernel's
// partly used blocks, which stay backed. So the entries live in chunks of
// their own (mmap, MADV_NOHUGEPAGE), packed at their exact size, and the
// rest of the heap keeps its huge pages. (Only simulate keeps them now:
// serve and bench run on small pages, actors/memory_policy.hpp.)
//
// A chunk that empties goes back to the kernel, but for one kept spare:
// memory follows the live entries (tasks leave in about the order they
// came, so old chunks empty out). Single-threaded, like its owner. Freed
// slots are poisoned for AddressSanitizer.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <sanitizer/asan_interface.h>
#include <utility>

namespace rxon::actors {

namespace detail {

/// A chunk of `bytes` (a power of two), aligned to its size, on small
/// pages; throws std::bad_alloc.
void* map_chunk(std::size_t bytes);
void unmap_chunk(void* chunk, std::size_t bytes) noexcept;

} // namespace detail

template <class T>
class entry_pool {
public:
  /// Small, so that a dispatcher with few tasks holds little (a chunk is
  /// faulted in whole); big enough that mapping is rare (585 task entries).
  static constexpr std::size_t chunk_bytes = std::size_t{256} << 10;

  /// Destroys its entry through the pool it came from.
  class deleter {
  public:
    deleter() noexcept = default;
    explicit deleter(entry_pool* pool) noexcept : pool_(pool) {}
    void operator()(T* p) const noexcept { pool_->destroy(p); }

  private:
    entry_pool* pool_ = nullptr;
  };
  using ptr = std::unique_ptr<T, deleter>;

  entry_pool() = default;
  entry_pool(const entry_pool&) = delete;
  entry_pool& operator=(const entry_pool&) = delete;
  /// Every entry must be gone by now: declare the pool before their owner.
  ~entry_pool() {
    for (auto* list : {&partial_, &full_})
      while (chunk* c = *list) {
        unlink(*list, c);
        unmap(c);
      }
    if (spare_)
      unmap(spare_);
  }

  template <class... Args>
  ptr make(Args&&... args) {
    void* slot = take();
    try {
      return ptr{new (slot) T(std::forward<Args>(args)...), deleter{this}};
    } catch (...) {
      give_back(slot);
      throw;
    }
  }

  void destroy(T* p) noexcept {
    if (!p)
      return;
    p->~T();
    give_back(p);
  }

  std::size_t live() const noexcept { return live_; }
  /// Chunks mapped, the spare included.
  std::size_t chunks() const noexcept { return chunks_; }
  static constexpr std::size_t slots_per_chunk() noexcept { return slots(); }

private:
  /// A chunk's header, at its start; its slots follow.
  struct chunk {
    chunk* prev = nullptr;
    chunk* next = nullptr;
    void* free = nullptr;  ///< freed slots, linked through their first word
    std::size_t fresh = 0; ///< slots at its end never handed out
    std::size_t used = 0;  ///< live entries
    bool partial = false;  ///< on the partial list, else on the full one
  };
  // Functions, not constants: T is incomplete where the pool is declared.
  static constexpr std::size_t align = alignof(std::max_align_t);
  static constexpr std::size_t header_bytes
      = (sizeof(chunk) + align - 1) / align * align;
  static constexpr std::size_t slot_bytes() noexcept {
    return (sizeof(T) + align - 1) / align * align;
  }
  static constexpr std::size_t slots() noexcept {
    return (chunk_bytes - header_bytes) / slot_bytes();
  }

  static chunk* chunk_of(const void* p) noexcept {
    return reinterpret_cast<chunk*>(reinterpret_cast<uintptr_t>(p)
                                    & ~(uintptr_t{chunk_bytes} - 1));
  }
  static char* slots_of(chunk* c) noexcept {
    return reinterpret_cast<char*>(c) + header_bytes;
  }

  static void unlink(chunk*& head, chunk* c) noexcept {
    (c->prev ? c->prev->next : head) = c->next;
    if (c->next)
      c->next->prev = c->prev;
    c->prev = c->next = nullptr;
  }
  static void push(chunk*& head, chunk* c) noexcept {
    c->next = head;
    if (head)
      head->prev = c;
    head = c;
  }

  void* take() {
    static_assert(alignof(T) <= align, "over-aligned entries");
    static_assert(slots() >= 64, "entries too big for a chunk");
    if (!partial_) {
      chunk* c = std::exchange(spare_, nullptr);
      if (!c) {
        c = new (detail::map_chunk(chunk_bytes)) chunk{};
        ++chunks_;
        ASAN_POISON_MEMORY_REGION(slots_of(c), slots() * slot_bytes());
      }
      c->fresh = slots();
      c->partial = true;
      push(partial_, c);
    }
    chunk* c = partial_;
    void* slot;
    if (c->free) {
      slot = c->free;
      ASAN_UNPOISON_MEMORY_REGION(slot, slot_bytes());
      c->free = *static_cast<void**>(slot);
    } else {
      slot = slots_of(c) + (slots() - c->fresh) * slot_bytes();
      ASAN_UNPOISON_MEMORY_REGION(slot, slot_bytes());
      --c->fresh;
    }
    ++c->used;
    ++live_;
    if (!c->free && c->fresh == 0) {
      unlink(partial_, c);
      c->partial = false;
      push(full_, c);
    }
    return slot;
  }

  void give_back(void* slot) noexcept {
    chunk* c = chunk_of(slot);
    *static_cast<void**>(slot) = c->free;
    c->free = slot;
    ASAN_POISON_MEMORY_REGION(slot, slot_bytes());
    --c->used;
    --live_;
    if (!c->partial) {
      unlink(full_, c);
      c->partial = true;
      push(partial_, c);
    }
    if (c->used > 0)
      return;
    unlink(partial_, c);
    if (spare_) {
      unmap(c);
      return;
    }
    // Kept for the next burst, handed out again from its first slot.
    c->free = nullptr;
    c->fresh = 0;
    c->partial = false;
    spare_ = c;
  }

  void unmap(chunk* c) noexcept {
    ASAN_UNPOISON_MEMORY_REGION(slots_of(c), slots() * slot_bytes());
    c->~chunk();
    detail::unmap_chunk(c, chunk_bytes);
    --chunks_;
  }

  chunk* partial_ = nullptr; ///< chunks with a free slot
  chunk* full_ = nullptr;    ///< chunks without one
  chunk* spare_ = nullptr;   ///< one empty chunk kept for the next burst
  std::size_t chunks_ = 0;
  std::size_t live_ = 0;
};

} // namespace rxon::actors
