#include "runtime/simulate/task_book.hpp"

namespace rxon::runtime::simulate {

task_book::chunk* task_book::at(uint64_t i) const {
  auto c = i / chunk_size;
  return c < chunks_.size() ? chunks_[c].get() : nullptr;
}

void task_book::add(uint64_t n, int64_t at_ms) {
  for (; n > 0; --n, ++size_) {
    auto c = size_ / chunk_size;
    if (c >= chunks_.size())
      chunks_.push_back(std::make_unique<chunk>());
    auto& ch = *chunks_[c];
    ch.submitted.push_back(at_ms);
    ch.flags.push_back(0);
    ++ch.open;
  }
}

void task_book::set_next_id(const std::string& id) {
  auto* ch = at(ids_);
  ++ids_;
  if (!ch)
    return; // cannot happen: ids follow add()
  ch->ids += id;
  ch->id_end.push_back(static_cast<uint32_t>(ch->ids.size()));
}

uint8_t task_book::flags(uint64_t i) const {
  auto* ch = at(i);
  return ch ? ch->flags[i % chunk_size] : uint8_t{completed};
}

void task_book::set(uint64_t i, uint8_t f) {
  if (auto* ch = at(i))
    ch->flags[i % chunk_size] |= f;
}

void task_book::complete(uint64_t i) {
  auto* ch = at(i);
  if (!ch || (ch->flags[i % chunk_size] & completed))
    return;
  ch->flags[i % chunk_size] |= completed;
  // A full chunk whose tasks all completed is never looked at again.
  if (--ch->open == 0 && ch->flags.size() == chunk_size
      && ch->id_end.size() == chunk_size)
    chunks_[i / chunk_size].reset();
}

int64_t task_book::submitted_at(uint64_t i) const {
  auto* ch = at(i);
  return ch ? ch->submitted[i % chunk_size] : 0;
}

std::string task_book::id(uint64_t i) const {
  auto* ch = at(i);
  auto k = i % chunk_size;
  if (!ch || k >= ch->id_end.size())
    return {};
  auto begin = k == 0 ? 0 : ch->id_end[k - 1];
  return ch->ids.substr(begin, ch->id_end[k] - begin);
}

std::size_t task_book::live_chunks() const {
  std::size_t n = 0;
  for (const auto& c : chunks_)
    n += c ? 1 : 0;
  return n;
}

} // namespace rxon::runtime::simulate
