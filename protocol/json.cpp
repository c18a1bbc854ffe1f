#include "protocol/json.hpp"

#include "protocol/detail/json_scan.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
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

object object::from_sorted(std::vector<member> members) noexcept {
  object o;
  o.members_ = std::move(members);
  return o;
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

// -- writing ------------------------------------------------------------------

void write_string(std::string_view s, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;
  for (auto i = detail::find_escape(s, 0); i < s.size();
       i = detail::find_escape(s, i + 1)) {
    out.append(s.data() + run, i - run);
    run = i + 1;
    auto c = static_cast<unsigned char>(s[i]);
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
    auto r
        = d < 0
              ? std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(d))
              : std::to_chars(buf, buf + sizeof buf, static_cast<uint64_t>(d));
    out.append(buf, r.ptr);
    return;
  }
  // Shortest round-trip digits, then the reference's layout.
  auto r
      = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
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
