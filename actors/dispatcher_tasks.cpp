// The dispatcher's task table: ids, lookups, and eviction of finished
// tasks. Lookups by id are on every result, cancel and view, so an id
// minted here carries its sequence number and resolves without hashing.

#include "actors/dispatcher_entries.hpp"
#include "actors/dispatcher_state.hpp"

#include <algorithm>
#include <array>

namespace rxon::actors {

namespace {

// Id layout: 15 digits of a 64-letter alphabet, 6 bits each: 7 of Unix
// ms (42 bits, until the year 2109), 7 of the sequence number (42 bits,
// 4.4e12 tasks per process run), 1 random. Fifteen characters fit std::string's
// inline buffer, so an id and its many copies (records, writes, payloads, acks)
// never allocate; at 32 hex digits each copy was a heap block, and the shorter
// keys make SQLite's rows and indexes denser. The alphabet is base64url's, in
// ASCII order, so ids sort as their numbers do: time-ordered like UUIDv7, and
// SQLite's index inserts append instead of scattering page splits.
constexpr std::size_t digit_bits = 6;
constexpr std::size_t ms_digits = 7;
constexpr std::size_t seq_digits = 7;
constexpr std::size_t tail_digits = 1;
constexpr std::size_t id_size = ms_digits + seq_digits + tail_digits;
constexpr char alphabet[]
    = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
static_assert(sizeof(alphabet) - 1 == std::size_t{1} << digit_bits);
static_assert(id_size <= std::string{}.capacity(), "an id must stay inline");

/// Each character's digit value, -1 outside the alphabet.
struct digit_table {
  signed char of[256];
  constexpr digit_table() : of{} {
    for (auto& d : of)
      d = -1;
    for (std::size_t i = 0; i + 1 < sizeof(alphabet); ++i)
      of[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  }
};
constexpr digit_table digits{};

/// Asks for every cache line of `t` (if any) ahead of its use.
template <class T>
void prefetch_lines(const T* t) noexcept {
  if (!t)
    return;
  const auto* at = reinterpret_cast<const char*>(t);
  for (std::size_t line = 0; line < sizeof(T); line += 64)
    __builtin_prefetch(at + line);
}

} // namespace

std::string dispatcher_state::format_id(const id_parts& p) {
  std::string id(id_size, alphabet[0]);
  auto put = [&](std::size_t at, uint64_t v, std::size_t n) {
    for (auto i = n; i-- > 0; v >>= digit_bits)
      id[at + i] = alphabet[v & ((1u << digit_bits) - 1)];
  };
  put(0, static_cast<uint64_t>(p.ms), ms_digits);
  put(ms_digits, p.seq, seq_digits);
  put(ms_digits + seq_digits, p.tail, tail_digits);
  return id;
}

std::optional<dispatcher_state::id_parts>
dispatcher_state::parse_id(std::string_view id) noexcept {
  if (id.size() != id_size)
    return std::nullopt;
  uint64_t v[3] = {0, 0, 0};
  std::size_t field = 0;
  for (std::size_t i = 0; i < id_size; ++i) {
    int d = digits.of[static_cast<unsigned char>(id[i])];
    if (d < 0)
      return std::nullopt;
    if (i == ms_digits || i == ms_digits + seq_digits)
      ++field;
    v[field] = v[field] << digit_bits | static_cast<uint64_t>(d);
  }
  return id_parts{static_cast<int64_t>(v[0]), v[1],
                  static_cast<uint32_t>(v[2])};
}

dispatcher_state::id_parts dispatcher_state::next_id(int64_t now,
                                                     uint64_t seq) {
  // The parts are kept as the id's digits can hold them, so that parsing
  // the id gives them back exactly.
  constexpr uint64_t ms_mask = (uint64_t{1} << (digit_bits * ms_digits)) - 1;
  constexpr uint64_t seq_mask = (uint64_t{1} << (digit_bits * seq_digits)) - 1;
  constexpr uint64_t tail_mask
      = (uint64_t{1} << (digit_bits * tail_digits)) - 1;
  return {static_cast<int64_t>(static_cast<uint64_t>(now) & ms_mask),
          seq & seq_mask, static_cast<uint32_t>(rng_() & tail_mask)};
}

dispatcher_state::task_entry*
dispatcher_state::find_entry(std::string_view task_id) const {
  // The parsed id is compared with the entry's copy of its parts, so
  // the task record (and its id string) stays untouched.
  if (auto p = parse_id(task_id))
    if (auto* t = tasks_.find(p->seq);
        t && t->id_ms == p->ms && t->id_tail == p->tail)
      return t;
  if (foreign_ids_.empty())
    return nullptr;
  auto i = foreign_ids_.find(std::string{task_id});
  return i == foreign_ids_.end() ? nullptr : tasks_.find(i->second);
}

void dispatcher_state::prefetch_slot(std::string_view task_id) const noexcept {
  if (auto p = parse_id(task_id))
    if (const void* slot = tasks_.slot_address(p->seq))
      __builtin_prefetch(slot);
}

void dispatcher_state::prefetch_entry(std::string_view task_id) const noexcept {
  // Every line of the entry: post_result reads its head, the record's
  // ids and state, and the lease.
  if (auto p = parse_id(task_id))
    prefetch_lines(tasks_.find(p->seq));
}

dispatcher_state::task_ptr dispatcher_state::new_task() {
  return task_pool_.make();
}

dispatcher_state::task_entry& dispatcher_state::add_task(task_ptr t) {
  // Every pending task costs an entry (task_pool_ packs them at their
  // exact size): a burst of 200k tasks pays each byte 200k times.
  static_assert(sizeof(task_entry) <= 512, "task_entry grew past 512 bytes");
  // Restored tasks keep the ids an earlier process gave them.
  if (t->id_ms < 0)
    foreign_ids_.emplace(t->rec.task_id, t->seq);
  auto seq = t->seq;
  return tasks_.insert(seq, std::move(t));
}

void dispatcher_state::drop_task(task_entry& t) {
  if (t.id_ms < 0)
    foreign_ids_.erase(t.rec.task_id);
  tasks_.erase(t.seq);
}

void dispatcher_state::evict_terminal() {
  // Finished entries leave in batches once up to `slack` past
  // retain_terminal have gathered. An entry leaves long after it finished:
  // its table slot, its lines and its params are all cache misses. Fetched
  // for a whole batch first, they overlap instead of each waiting its turn
  // (one at a time, evicting was 8% of the dispatcher's samples in a
  // durable burst).
  constexpr std::size_t batch = 16;
  const std::size_t retain = cfg_.retain_terminal;
  const std::size_t slack = std::min<std::size_t>(4 * batch, retain / 64);
  if (terminal_order_.size() <= retain + slack)
    return;
  std::array<task_entry*, batch> leaving{};
  while (terminal_order_.size() > retain) {
    const auto n = std::min(batch, terminal_order_.size() - retain);
    for (std::size_t i = 0; i < n; ++i)
      if (const void* slot = tasks_.slot_address(terminal_order_[i]))
        __builtin_prefetch(slot);
    for (std::size_t i = 0; i < n; ++i)
      prefetch_lines(leaving[i] = tasks_.find(terminal_order_[i]));
    for (std::size_t i = 0; i < n; ++i)
      if (auto* t = leaving[i];
          t && t->rec.params.is_object() && !t->rec.params.as_object().empty())
        __builtin_prefetch(&*t->rec.params.as_object().begin());
    for (std::size_t i = 0; i < n; ++i) {
      terminal_order_.pop_front();
      auto* t = leaving[i];
      if (!t)
        continue;
      auto* job = t->job;
      --state_counts_[static_cast<size_t>(t->rec.state)];
      drop_task(*t);
      if (++job->evicted == job->task_seqs.size())
        jobs_.erase(job->rec.job_id);
    }
  }
}

} // namespace rxon::actors
