#pragma once

// Internal to protocol/json*.cpp: finding the bytes that end a plain JSON
// string run ('"', '\\' or below 0x20) eight bytes at a time.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace rxon::json::detail {

/// Marks the bytes of `w` that end a plain run in their high bits. Only the
/// lowest mark is exact (borrows can add marks above it), which is all a
/// scan for the first such byte needs.
inline uint64_t run_end_marks(uint64_t w) {
  constexpr uint64_t ones = 0x0101010101010101ull;
  constexpr uint64_t highs = 0x8080808080808080ull;
  auto zero_marks = [](uint64_t x) { return (x - ones) & ~x & highs; };
  return ((w - ones * 0x20) & ~w & highs) | zero_marks(w ^ (ones * '"'))
         | zero_marks(w ^ (ones * '\\'));
}

/// The index of the first byte of `s` at or after `from` that a JSON string
/// must escape, or s.size().
inline std::size_t find_escape(std::string_view s, std::size_t from) {
  if constexpr (std::endian::native == std::endian::little) {
    while (from < s.size()) {
      // A short tail is padded with plain bytes.
      uint64_t w = 0x6161616161616161ull;
      std::memcpy(&w, s.data() + from,
                  std::min<std::size_t>(8, s.size() - from));
      if (auto marks = run_end_marks(w); marks != 0)
        return from + static_cast<std::size_t>(std::countr_zero(marks)) / 8;
      from += 8;
    }
    return s.size();
  } else {
    for (; from < s.size(); ++from) {
      auto c = static_cast<unsigned char>(s[from]);
      if (c < 0x20 || c == '"' || c == '\\')
        return from;
    }
    return s.size();
  }
}

} // namespace rxon::json::detail
