// The dispatcher's task table: ids, lookups, and eviction of finished
// tasks. Lookups by id are on every result, cancel and view, so an id
// minted here carries its sequence number and resolves without hashing.

#include "actors/dispatcher_entries.hpp"
#include "actors/dispatcher_state.hpp"

namespace rxon::actors {

namespace {

// Id layout (32 lowercase hex digits, time-ordered like UUIDv7): 12 of
// Unix ms, 12 of the sequence number, 8 random. Ordered keys make
// SQLite's index inserts append-only instead of scattering page splits.
constexpr std::size_t id_size = 32;
constexpr std::size_t seq_at = 12;
constexpr std::size_t seq_digits = 12;
constexpr std::size_t random_digits = 8;

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

} // namespace

std::string dispatcher_state::next_id(int64_t now, uint64_t seq) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(id_size, '0');
  auto put = [&](std::size_t at, uint64_t v, std::size_t digits) {
    for (auto i = digits; i-- > 0; v >>= 4)
      id[at + i] = hex[v & 0xF];
  };
  put(0, static_cast<uint64_t>(now), seq_at);
  put(seq_at, seq, seq_digits);
  put(seq_at + seq_digits, rng_(), random_digits);
  return id;
}

std::optional<uint64_t> dispatcher_state::seq_of(std::string_view id) noexcept {
  if (id.size() != id_size)
    return std::nullopt;
  uint64_t seq = 0;
  for (std::size_t i = seq_at; i < seq_at + seq_digits; ++i) {
    auto d = hex_digit(id[i]);
    if (d < 0)
      return std::nullopt;
    seq = seq << 4 | static_cast<uint64_t>(d);
  }
  return seq;
}

dispatcher_state::task_entry*
dispatcher_state::find_entry(std::string_view task_id) const {
  if (auto seq = seq_of(task_id))
    if (auto* t = tasks_.find(*seq); t && t->rec.task_id == task_id)
      return t;
  if (foreign_ids_.empty())
    return nullptr;
  auto i = foreign_ids_.find(std::string{task_id});
  return i == foreign_ids_.end() ? nullptr : tasks_.find(i->second);
}

dispatcher_state::task_entry&
dispatcher_state::add_task(std::unique_ptr<task_entry> t) {
  // Restored tasks keep the ids an earlier process gave them.
  if (seq_of(t->rec.task_id) != t->seq)
    foreign_ids_.emplace(t->rec.task_id, t->seq);
  auto seq = t->seq;
  return tasks_.insert(seq, std::move(t));
}

void dispatcher_state::drop_task(task_entry& t) {
  if (!foreign_ids_.empty())
    foreign_ids_.erase(t.rec.task_id);
  tasks_.erase(t.seq);
}

void dispatcher_state::evict_terminal() {
  while (terminal_order_.size() > cfg_.retain_terminal) {
    auto* t = tasks_.find(terminal_order_.front());
    terminal_order_.pop_front();
    if (!t)
      continue;
    auto* job = t->job;
    --state_counts_[static_cast<size_t>(t->rec.state)];
    drop_task(*t);
    if (++job->evicted == job->task_seqs.size())
      jobs_.erase(job->rec.job_id);
  }
}

} // namespace rxon::actors
