// json::parse: RapidJSON's SAX reader feeding our sorted DOM.
//
// The fast path (measured with callgrind, see the commit log): a
// word-at-a-time UTF-8 pre-check lets the reader skip its byte-by-byte
// validation; strings unescape in place in a copy of the input; the reader
// recurses instead of running its iterative state machine; containers are
// built from flat scratch stacks, each allocated once at its final size.
// Any error re-parses with the original configuration (parse_checked), so
// messages and offsets are exactly what they always were.
//
// Do not define RAPIDJSON_SSE2: 1.1.0's SSE2 string scan lets raw bytes
// 0x1A..0x1F through (a test covers it).

#include "protocol/detail/json_scan.hpp"
#include "protocol/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>

namespace rxon::json::detail {

/// rapidjson::InsituStringStream under our own name, so the reader's
/// string-scan hook below can be specialised for it alone.
struct insitu_stream {
  using Ch = char;
  explicit insitu_stream(char* src) : src_(src), head_(src) {}
  char Peek() const { return *src_; }
  char Take() { return *src_++; }
  std::size_t Tell() const { return static_cast<std::size_t>(src_ - head_); }
  void Put(char c) { *dst_++ = c; }
  char* PutBegin() { return dst_ = src_; }
  std::size_t PutEnd(char* begin) {
    return static_cast<std::size_t>(dst_ - begin);
  }
  void Flush() {}
  char* Push(std::size_t n) {
    char* begin = dst_;
    dst_ += n;
    return begin;
  }
  void Pop(std::size_t n) { dst_ -= n; }

  char* src_;
  char* dst_ = nullptr;
  char* head_;
};

} // namespace rxon::json::detail

namespace rapidjson {

template <>
struct StreamTraits<rxon::json::detail::insitu_stream> {
  enum { copyOptimization = 1 };
};

// The reader calls this before each character it looks at in a string; it
// may consume any prefix with no '"', '\\' or byte below 0x20. Eight bytes
// at a time; the input is NUL-terminated and padded, so a load never leaves
// the buffer (the NUL ends the run).
template <>
template <>
inline void
GenericReader<UTF8<>, UTF8<>, CrtAllocator>::ScanCopyUnescapedString<
    rxon::json::detail::insitu_stream, rxon::json::detail::insitu_stream>(
    rxon::json::detail::insitu_stream& is, rxon::json::detail::insitu_stream&) {
  if constexpr (std::endian::native != std::endian::little)
    return; // the byte arithmetic below assumes little-endian words
  char* p = is.src_;
  char* q = is.dst_;
  for (;;) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    auto marks = rxon::json::detail::run_end_marks(w);
    // Little-endian byte order: the lowest mark is the first byte.
    auto n = marks == 0 ? 8
                        : static_cast<std::size_t>(std::countr_zero(marks)) / 8;
    if (q != p)
      std::memmove(q, p, n); // q < p: unescaping only shrinks the string
    p += n;
    q += n;
    if (n < 8)
      break;
  }
  is.src_ = p;
  is.dst_ = q;
}

} // namespace rapidjson

namespace rxon::json {

namespace {

/// Builds the DOM from SAX events with explicit stacks, so deep input cannot
/// overflow the C++ stack. Completed array items and object members wait on
/// flat stacks until their container ends.
class dom_builder {
public:
  /// Flat stacks for open containers; kept per thread between parses so a
  /// parse usually allocates only the DOM itself.
  struct scratch {
    std::vector<bool> frames; ///< per open container: is it an object
    std::vector<member> members;
    std::vector<value> items;
  };

  dom_builder(const parse_options& opts, bool check_surrogates, scratch& s)
      : opts_(opts), check_surrogates_(check_surrogates), frames_(s.frames),
        members_(s.members), items_(s.items) {
    clear();
  }
  ~dom_builder() {
    clear();
    // Do not pin the memory of one huge document for the thread's life.
    if (members_.capacity() > 4096 || items_.capacity() > 4096) {
      members_.shrink_to_fit();
      items_.shrink_to_fit();
    }
  }
  dom_builder(const dom_builder&) = delete;
  dom_builder& operator=(const dom_builder&) = delete;

  bool Null() { return add(); }
  bool Bool(bool b) { return add(b); }
  bool Int(int i) { return add(i); }
  bool Uint(unsigned u) { return add(u); }
  bool Int64(int64_t i) { return add(static_cast<long long>(i)); }
  bool Uint64(uint64_t u) { return add(static_cast<unsigned long>(u)); }
  // Integer literals beyond 64 bits arrive as doubles; like the reference,
  // they parse but cannot be encoded (check_encodable reports them).
  bool Double(double d) { return add(d); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (n > opts_.max_string_bytes)
      return fail("string too long");
    if (check_surrogates_ && has_surrogate(s, n))
      return fail("lone UTF-16 surrogate in string");
    return add(std::string_view{s, n});
  }
  bool StartObject() { return enter(true); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (check_surrogates_ && has_surrogate(s, n))
      return fail("lone UTF-16 surrogate in key");
    members_.emplace_back().key.assign(s, n);
    return true;
  }
  bool EndObject(rapidjson::SizeType n) {
    auto first = members_.end() - static_cast<std::ptrdiff_t>(n);
    auto last = members_.end();
    std::vector<member> ms;
    if (sorted_unique(first, last)) {
      // Every RXON sender sorts its keys: the usual case.
      ms.assign(std::make_move_iterator(first), std::make_move_iterator(last));
    } else {
      std::stable_sort(first, last, [](const member& x, const member& y) {
        return x.key < y.key;
      });
      ms.reserve(n);
      for (auto i = first; i != last; ++i)
        if (std::next(i) == last || i->key != std::next(i)->key)
          ms.push_back(std::move(*i)); // the last of equal keys wins
    }
    members_.erase(first, last);
    frames_.pop_back();
    return add(object::from_sorted(std::move(ms)));
  }
  bool StartArray() { return enter(false); }
  bool EndArray(rapidjson::SizeType n) {
    auto first = items_.end() - static_cast<std::ptrdiff_t>(n);
    array a(std::make_move_iterator(first),
            std::make_move_iterator(items_.end()));
    items_.erase(first, items_.end());
    frames_.pop_back();
    return add(std::move(a));
  }

  value take() { return std::move(root_); }
  const std::string& failure() const { return failure_; }

private:
  static bool sorted_unique(std::vector<member>::const_iterator first,
                            std::vector<member>::const_iterator last) {
    for (auto i = first; i != last && std::next(i) != last; ++i)
      if (!(i->key < std::next(i)->key))
        return false;
    return true;
  }

  static bool has_surrogate(const char* s, std::size_t n) {
    // UTF-8 for U+D800..U+DFFF is ED A0..BF xx; RapidJSON lets a lone
    // low surrogate escape (\udc00) through as such bytes.
    const char* end = s + n;
    for (auto p = static_cast<const char*>(std::memchr(s, '\xED', n));
         p != nullptr && p + 1 < end;
         p = static_cast<const char*>(
             std::memchr(p + 1, '\xED', static_cast<size_t>(end - p - 1)))) {
      if (static_cast<unsigned char>(p[1]) >= 0xA0)
        return true;
    }
    return false;
  }

  void clear() {
    frames_.clear();
    members_.clear();
    items_.clear();
  }

  bool fail(const char* what) {
    failure_ = what;
    return false;
  }

  // A value about to be added sits at depth frames_.size().
  bool enter(bool is_object) {
    if (static_cast<int>(frames_.size()) > opts_.max_depth)
      return fail("nesting too deep");
    frames_.push_back(is_object);
    return true;
  }

  template <class... A>
  bool add(A&&... a) {
    if (frames_.empty()) {
      root_ = value(std::forward<A>(a)...);
      return true;
    }
    if (static_cast<int>(frames_.size()) > opts_.max_depth)
      return fail("nesting too deep");
    if (frames_.back())
      members_.back().val = value(std::forward<A>(a)...);
    else
      items_.emplace_back(std::forward<A>(a)...);
    return true;
  }

  const parse_options& opts_;
  bool check_surrogates_;
  std::vector<bool>& frames_;
  std::vector<member>& members_;
  std::vector<value>& items_;
  value root_;
  std::string failure_;
};

/// The offset of the first non-whitespace byte at or after `from`, or
/// text.size().
std::size_t trailing_garbage(std::string_view text, std::size_t from) {
  for (auto i = from; i < text.size(); ++i) {
    auto c = text[i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      return i;
  }
  return text.size();
}

/// Discards what UTF8::Validate copies.
struct null_stream {
  void Put(char) {}
};

struct input_scan {
  bool valid_utf8 = true;
  bool has_backslash = false;
};

/// Checks the whole input with RapidJSON's own UTF-8 validator (so exactly
/// the same bytes pass), eight ASCII bytes at a time.
input_scan scan(std::string_view text) {
  constexpr uint64_t ones = 0x0101010101010101ull;
  constexpr uint64_t highs = 0x8080808080808080ull;
  input_scan r;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p != end) {
    if (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      uint64_t bs = w ^ (ones * '\\');
      bool any_bs = ((bs - ones) & ~bs & highs) != 0;
      if ((w & highs) == 0) {
        r.has_backslash |= any_bs;
        p += 8;
        continue;
      }
    }
    if (static_cast<unsigned char>(*p) < 0x80) {
      r.has_backslash |= *p == '\\';
      ++p;
      continue;
    }
    rapidjson::MemoryStream ms{p, static_cast<size_t>(end - p)};
    null_stream out;
    if (!rapidjson::UTF8<>::Validate(ms, out)) {
      r.valid_utf8 = false;
      return r;
    }
    p += ms.Tell();
  }
  return r;
}

/// The reference configuration: what parse() always did. Every error comes
/// from here, so messages and offsets do not depend on the fast path.
result<value> parse_checked(std::string_view text, const parse_options& opts) {
  constexpr unsigned flags = rapidjson::kParseValidateEncodingFlag
                             | rapidjson::kParseFullPrecisionFlag
                             | rapidjson::kParseIterativeFlag
                             | rapidjson::kParseStopWhenDoneFlag;
  dom_builder::scratch stacks; // the error path: no need to reuse
  dom_builder builder{opts, true, stacks};
  rapidjson::MemoryStream ms{text.data(), text.size()};
  rapidjson::Reader reader;
  auto res = reader.Parse<flags>(ms, builder);
  if (res.IsError()) {
    std::string msg = "invalid JSON at offset ";
    msg += std::to_string(res.Offset());
    msg += ": ";
    msg += builder.failure().empty() ? rapidjson::GetParseError_En(res.Code())
                                     : builder.failure();
    auto code = errc::invalid_json;
    if (builder.failure() == "nesting too deep")
      code = errc::too_deep;
    else if (!builder.failure().empty()
             && builder.failure().find("range") != std::string::npos)
      code = errc::out_of_range;
    return error{code, std::move(msg)};
  }
  if (auto end = trailing_garbage(text, ms.Tell()); end != text.size())
    return error{errc::invalid_json,
                 "invalid JSON at offset " + std::to_string(end)
                     + ": unexpected data after the document"};
  return builder.take();
}

/// Deep enough for any message. The recursive reader's C++ stack grows with
/// nesting until our handler stops it at opts.max_depth, so deeper limits
/// (the conformance loader asks for 10000) take the iterative reader.
constexpr int max_recursive_depth = 128;

} // namespace

result<value> parse(std::string_view text, const parse_options& opts) {
  auto s = scan(text);
  if (!s.valid_utf8 || opts.max_depth > max_recursive_depth)
    return parse_checked(text, opts);
  // Same grammar and events as parse_checked, minus the work the scan made
  // redundant: valid UTF-8 never encodes a surrogate, so only an escape can
  // make one. Strings unescape in place in a NUL-terminated copy, padded so
  // 16-byte scans stay inside it.
  thread_local dom_builder::scratch stacks;
  dom_builder builder{opts, s.has_backslash, stacks};
  std::unique_ptr<char[]> heap;
  char local[1024];
  char* buf = local;
  if (text.size() + 32 > sizeof local) {
    heap = std::make_unique_for_overwrite<char[]>(text.size() + 32);
    buf = heap.get();
  }
  std::memcpy(buf, text.data(), text.size());
  std::memset(buf + text.size(), 0, 32);
  detail::insitu_stream is{buf};
  rapidjson::Reader reader;
  constexpr unsigned flags = rapidjson::kParseFullPrecisionFlag
                             | rapidjson::kParseStopWhenDoneFlag
                             | rapidjson::kParseInsituFlag;
  auto res = reader.Parse<flags>(is, builder);
  if (res.IsError() || trailing_garbage(text, is.Tell()) != text.size())
    return parse_checked(text, opts); // rare: let it name the problem
  return builder.take();
}

} // namespace rxon::json
