#include "protocol/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace rxon::json {

// -- object -------------------------------------------------------------------

namespace {

struct key_less {
  bool operator()(const member& m, std::string_view k) const {
    return std::string_view{m.key} < k;
  }
};

} // namespace

object::object(std::initializer_list<member> members) {
  members_.reserve(members.size());
  for (const auto& m : members)
    set(m.key, m.val);
}

const value* object::find(std::string_view key) const {
  auto i = std::lower_bound(members_.begin(), members_.end(), key, key_less{});
  return i != members_.end() && i->key == key ? &i->val : nullptr;
}

value* object::find(std::string_view key) {
  auto i = std::lower_bound(members_.begin(), members_.end(), key, key_less{});
  return i != members_.end() && i->key == key ? &i->val : nullptr;
}

void object::set(std::string key, value v) {
  auto i = std::lower_bound(members_.begin(), members_.end(),
                            std::string_view{key}, key_less{});
  if (i != members_.end() && i->key == key)
    i->val = std::move(v);
  else
    members_.insert(i, member{std::move(key), std::move(v)});
}

value& object::operator[](std::string_view key) {
  auto i = std::lower_bound(members_.begin(), members_.end(), key, key_less{});
  if (i == members_.end() || i->key != key)
    i = members_.insert(i, member{std::string{key}, value{}});
  return i->val;
}

bool object::erase(std::string_view key) {
  auto i = std::lower_bound(members_.begin(), members_.end(), key, key_less{});
  if (i == members_.end() || i->key != key)
    return false;
  members_.erase(i);
  return true;
}

std::size_t object::size() const noexcept {
  return members_.size();
}

bool object::empty() const noexcept {
  return members_.empty();
}

object::const_iterator object::begin() const noexcept {
  return members_.begin();
}

object::const_iterator object::end() const noexcept {
  return members_.end();
}

void object::reserve(std::size_t n) {
  members_.reserve(n);
}

void object::append_sorted(std::string key, value v) {
  members_.push_back(member{std::move(key), std::move(v)});
}

bool operator==(const object& x, const object& y) {
  return x.members_ == y.members_;
}

// -- value --------------------------------------------------------------------

value::value(unsigned long u) noexcept {
  if (u <= static_cast<unsigned long>(std::numeric_limits<int64_t>::max()))
    v_ = static_cast<int64_t>(u);
  else
    v_ = static_cast<uint64_t>(u);
}

value::value(unsigned long long u) noexcept {
  if (u <= static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()))
    v_ = static_cast<int64_t>(u);
  else
    v_ = static_cast<uint64_t>(u);
}

value::value(array a) noexcept : v_(std::move(a)) {}

value::value(object o) noexcept : v_(std::move(o)) {}

bool value::is_number() const noexcept {
  auto k = type();
  return k == kind::integer || k == kind::uinteger || k == kind::number;
}

bool value::is_integral() const noexcept {
  switch (type()) {
    case kind::integer:
    case kind::uinteger:
      return true;
    case kind::number: {
      auto d = std::get<double>(v_);
      return std::isfinite(d) && std::trunc(d) == d;
    }
    default:
      return false;
  }
}

double value::as_double() const {
  switch (type()) {
    case kind::boolean:
      return std::get<bool>(v_) ? 1.0 : 0.0;
    case kind::integer:
      return static_cast<double>(std::get<int64_t>(v_));
    case kind::uinteger:
      return static_cast<double>(std::get<uint64_t>(v_));
    case kind::number:
      return std::get<double>(v_);
    default:
      throw std::bad_variant_access{};
  }
}

const value* value::find(std::string_view key) const {
  return is_object() ? as_object().find(key) : nullptr;
}

namespace {

// Compares two numbers exactly, across int64, uint64 and double.
bool numbers_equal(const value& x, const value& y) {
  using k = value::kind;
  auto kx = x.type();
  auto ky = y.type();
  if (kx == k::number || ky == k::number) {
    if (kx == k::number && ky == k::number)
      return x.as_double() == y.as_double();
    const auto& d = kx == k::number ? x : y;
    const auto& i = kx == k::number ? y : x;
    auto dv = d.as_double();
    if (!std::isfinite(dv) || std::trunc(dv) != dv)
      return false;
    if (i.type() == k::integer)
      return dv >= -0x1p63 && dv < 0x1p63
             && static_cast<int64_t>(dv) == i.as_int();
    return dv >= 0 && dv < 0x1p64 && static_cast<uint64_t>(dv) == i.as_uint();
  }
  // int64 and uint64 ranges are disjoint by construction.
  if (kx != ky)
    return false;
  return kx == k::integer ? x.as_int() == y.as_int()
                          : x.as_uint() == y.as_uint();
}

} // namespace

bool operator==(const value& x, const value& y) {
  if (x.is_number() && y.is_number())
    return numbers_equal(x, y);
  return x.v_ == y.v_;
}

// -- parsing ------------------------------------------------------------------

namespace {

/// Builds the DOM from RapidJSON SAX events with an explicit stack, so deep
/// input cannot overflow the C++ stack.
class dom_builder {
public:
  explicit dom_builder(const parse_options& opts) : opts_(opts) {}

  bool Null() { return add(value{}); }
  bool Bool(bool b) { return add(value{b}); }
  bool Int(int i) { return add(value{i}); }
  bool Uint(unsigned u) { return add(value{u}); }
  bool Int64(int64_t i) { return add(value{static_cast<long long>(i)}); }
  bool Uint64(uint64_t u) { return add(value{static_cast<unsigned long>(u)}); }
  // Integer literals beyond 64 bits arrive as doubles; like the reference,
  // they parse but cannot be encoded (check_encodable reports them).
  bool Double(double d) { return add(value{d}); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (n > opts_.max_string_bytes)
      return fail("string too long");
    if (has_surrogate(s, n))
      return fail("lone UTF-16 surrogate in string");
    return add(value{std::string{s, n}});
  }
  bool StartObject() {
    if (!enter())
      return false;
    stack_.push_back(frame{value{object{}}, {}});
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (has_surrogate(s, n))
      return fail("lone UTF-16 surrogate in key");
    stack_.back().key.assign(s, n);
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return leave(); }
  bool StartArray() {
    if (!enter())
      return false;
    stack_.push_back(frame{value{array{}}, {}});
    return true;
  }
  bool EndArray(rapidjson::SizeType) { return leave(); }

  value take() { return std::move(root_); }
  const std::string& failure() const { return failure_; }

private:
  struct frame {
    value container;
    std::string key;
  };

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

  bool fail(const char* what) {
    failure_ = what;
    return false;
  }

  // A value about to be added sits at depth stack_.size().
  bool enter() {
    if (static_cast<int>(stack_.size()) > opts_.max_depth)
      return fail("nesting too deep");
    return true;
  }

  bool add(value v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return true;
    }
    if (static_cast<int>(stack_.size()) > opts_.max_depth)
      return fail("nesting too deep");
    auto& top = stack_.back();
    if (top.container.is_array()) {
      top.container.as_array().push_back(std::move(v));
    } else {
      auto& obj = top.container.as_object();
      // Fast path: keys usually arrive sorted (every RXON sender sorts).
      if (obj.empty() || std::prev(obj.end())->key < top.key)
        obj.append_sorted(std::move(top.key), std::move(v));
      else
        obj.set(std::move(top.key), std::move(v)); // last duplicate wins
      top.key.clear();
    }
    return true;
  }

  bool leave() {
    auto v = std::move(stack_.back().container);
    stack_.pop_back();
    return add(std::move(v));
  }

  const parse_options& opts_;
  std::vector<frame> stack_;
  value root_;
  std::string failure_;
};

} // namespace

result<value> parse(std::string_view text, const parse_options& opts) {
  dom_builder builder{opts};
  rapidjson::MemoryStream ms{text.data(), text.size()};
  rapidjson::Reader reader;
  constexpr unsigned flags = rapidjson::kParseValidateEncodingFlag
                             | rapidjson::kParseFullPrecisionFlag
                             | rapidjson::kParseIterativeFlag
                             | rapidjson::kParseStopWhenDoneFlag;
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
  // Only whitespace may follow the document.
  for (auto i = ms.Tell(); i < text.size(); ++i) {
    auto c = text[i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      return error{errc::invalid_json,
                   "invalid JSON at offset " + std::to_string(i)
                     + ": unexpected data after the document"};
  }
  return builder.take();
}

// -- writing ------------------------------------------------------------------

void write_string(std::string_view s, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void write_number(double d, std::string& out) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[64];
  if (std::trunc(d) == d && d >= -0x1p63 && d < 0x1p64) {
    auto r = d < 0 ? std::to_chars(buf, buf + sizeof buf,
                                   static_cast<int64_t>(d))
                   : std::to_chars(buf, buf + sizeof buf,
                                   static_cast<uint64_t>(d));
    out.append(buf, r.ptr);
    return;
  }
  // Shortest round-trip digits, then the reference's layout.
  auto r = std::to_chars(buf, buf + sizeof buf, d,
                         std::chars_format::scientific);
  std::string_view sci{buf, static_cast<size_t>(r.ptr - buf)};
  bool negative = sci.front() == '-';
  if (negative)
    sci.remove_prefix(1);
  auto epos = sci.find('e');
  std::string digits;
  digits.push_back(sci[0]);
  if (sci[1] == '.')
    digits.append(sci.substr(2, epos - 2));
  int exp = 0;
  std::from_chars(sci.data() + epos + 1 + (sci[epos + 1] == '+' ? 1 : 0),
                  sci.data() + sci.size(), exp);
  if (negative)
    out.push_back('-');
  if (exp >= -5 && exp <= 15) {
    auto n = static_cast<int>(digits.size());
    if (exp < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exp - 1), '0');
      out += digits;
    } else if (n <= exp + 1) {
      out += digits;
      out.append(static_cast<size_t>(exp + 1 - n), '0');
    } else {
      out.append(digits, 0, static_cast<size_t>(exp + 1));
      out.push_back('.');
      out.append(digits, static_cast<size_t>(exp + 1));
    }
    return;
  }
  out.push_back(digits[0]);
  if (digits.size() > 1) {
    out.push_back('.');
    out.append(digits, 1);
  }
  out.push_back('e');
  if (exp > 0)
    out.push_back('+'); // unreachable after normalisation (orjson >= 3.11.7)
  out += std::to_string(exp);
}

namespace {

void write_value(const value& v, std::string& out) {
  using k = value::kind;
  switch (v.type()) {
    case k::null:
      out += "null";
      break;
    case k::boolean:
      out += v.as_bool() ? "true" : "false";
      break;
    case k::integer: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out.append(buf, r.ptr);
      break;
    }
    case k::uinteger: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_uint());
      out.append(buf, r.ptr);
      break;
    }
    case k::number:
      write_number(v.as_double(), out);
      break;
    case k::string:
      write_string(v.as_string(), out);
      break;
    case k::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& x : v.as_array()) {
        if (!first)
          out.push_back(',');
        first = false;
        write_value(x, out);
      }
      out.push_back(']');
      break;
    }
    case k::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& m : v.as_object()) {
        // to_dict drops null members, and NaN/Inf (which become null).
        if (m.val.is_null()
            || (m.val.type() == k::number && !std::isfinite(m.val.as_double())))
          continue;
        if (!first)
          out.push_back(',');
        first = false;
        write_string(m.key, out);
        out.push_back(':');
        write_value(m.val, out);
      }
      out.push_back('}');
      break;
    }
  }
}

status check_depth(const value& v, int depth) {
  if (v.type() == value::kind::number) {
    auto d = v.as_double();
    if (std::isfinite(d) && std::trunc(d) == d && (d >= 0x1p64 || d < -0x1p63))
      return error{errc::out_of_range, "integer exceeds 64-bit range"};
  }
  if (v.is_array()) {
    for (const auto& x : v.as_array()) {
      if (depth + 1 > max_depth)
        return error{errc::too_deep, "nesting deeper than 100 levels"};
      if (auto st = check_depth(x, depth + 1); !st)
        return st;
    }
  } else if (v.is_object()) {
    for (const auto& m : v.as_object()) {
      if (m.val.is_null())
        continue; // dropped before the reference checks depth
      if (depth + 1 > max_depth)
        return error{errc::too_deep, "nesting deeper than 100 levels"};
      if (auto st = check_depth(m.val, depth + 1); !st)
        return st;
    }
  }
  return {};
}

} // namespace

void write(const value& v, std::string& out) {
  write_value(v, out);
}

std::string to_string(const value& v) {
  std::string out;
  write_value(v, out);
  return out;
}

status check_encodable(const value& v) {
  return check_depth(v, 0);
}

// -- writer -------------------------------------------------------------------

void writer::separate() {
  if (!first_)
    out_.push_back(',');
  first_ = false;
}

void writer::begin_object() {
  separate();
  out_.push_back('{');
  first_ = true;
}

void writer::end_object() {
  out_.push_back('}');
  first_ = false;
}

void writer::begin_array() {
  separate();
  out_.push_back('[');
  first_ = true;
}

void writer::end_array() {
  out_.push_back(']');
  first_ = false;
}

void writer::key(std::string_view k) {
  separate();
  write_string(k, out_);
  out_.push_back(':');
  first_ = true; // the value that follows needs no comma
}

void writer::null() {
  separate();
  out_ += "null";
}

void writer::boolean(bool b) {
  separate();
  out_ += b ? "true" : "false";
}

void writer::integer(int64_t i) {
  separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, i);
  out_.append(buf, r.ptr);
}

void writer::number(double d) {
  separate();
  write_number(d, out_);
}

void writer::string(std::string_view s) {
  separate();
  write_string(s, out_);
}

void writer::json(const value& v) {
  separate();
  write_value(v, out_);
}

} // namespace rxon::json
