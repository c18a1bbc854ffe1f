#pragma once

// A small JSON DOM with the reference's (orjson + to_dict) semantics built in:
// objects keep their members sorted by key bytes and unique (last one wins),
// so the canonical form needs no sort; writers drop null object members,
// print integral floats as integers and floats as the shortest round-trip
// digits with the reference's exponent rules. See spec §1.1 and §5.1.2.

#include "protocol/error.hpp"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rxon::json {

class value;
struct member;

/// A JSON array.
using array = std::vector<value>;

/// A JSON object whose members are kept sorted by key (UTF-8 byte order,
/// which equals code-point order) with unique keys.
class object {
public:
  using const_iterator = std::vector<member>::const_iterator;

  object() = default;
  object(std::initializer_list<member> members);

  /// Returns the member value for `key`, or nullptr.
  const value* find(std::string_view key) const;
  value* find(std::string_view key);
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  /// Inserts or replaces `key`.
  void set(std::string key, value v);
  /// Returns the value for `key`, inserting null when it is missing.
  value& operator[](std::string_view key);
  /// Removes `key`; returns whether it was present.
  bool erase(std::string_view key);

  std::size_t size() const noexcept;
  bool empty() const noexcept;
  const_iterator begin() const noexcept;
  const_iterator end() const noexcept;
  void reserve(std::size_t n);

  /// Appends a member whose key sorts after every existing key. The caller
  /// guarantees the order (used by the parser's fast path).
  void append_sorted(std::string key, value v);
  /// Adopts members already sorted by key and unique; the caller guarantees
  /// it (used by the parser, which checks the order).
  static object from_sorted(std::vector<member> members) noexcept;

  friend bool operator==(const object& x, const object& y);

private:
  std::vector<member> members_;
};

/// A JSON value. Integers are kept exact (int64 or uint64); floats as double.
class value {
public:
  enum class kind : uint8_t {
    null,
    boolean,
    integer,  ///< fits int64
    uinteger, ///< above INT64_MAX, fits uint64
    number,   ///< double
    string,
    array,
    object,
  };

  value() noexcept = default;
  value(std::nullptr_t) noexcept {}
  value(bool b) noexcept : v_(b) {}
  value(int i) noexcept : v_(static_cast<int64_t>(i)) {}
  value(long i) noexcept : v_(static_cast<int64_t>(i)) {}
  value(long long i) noexcept : v_(static_cast<int64_t>(i)) {}
  value(unsigned u) noexcept : v_(static_cast<int64_t>(u)) {}
  value(unsigned long u) noexcept;
  value(unsigned long long u) noexcept;
  value(double d) noexcept : v_(d) {}
  value(const char* s) : v_(std::string(s)) {}
  value(std::string s) noexcept : v_(std::move(s)) {}
  value(std::string_view s) : v_(std::string(s)) {}
  value(array a) noexcept;
  value(object o) noexcept;

  kind type() const noexcept { return static_cast<kind>(v_.index()); }
  bool is_null() const noexcept { return type() == kind::null; }
  bool is_bool() const noexcept { return type() == kind::boolean; }
  /// int64, uint64 or double (not bool).
  bool is_number() const noexcept;
  /// int64 or uint64, or a double with an integral value.
  bool is_integral() const noexcept;
  bool is_string() const noexcept { return type() == kind::string; }
  bool is_array() const noexcept { return type() == kind::array; }
  bool is_object() const noexcept { return type() == kind::object; }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  uint64_t as_uint() const { return std::get<uint64_t>(v_); }
  /// Any number (and bool, as 0/1) as a double.
  double as_double() const;
  const std::string& as_string() const { return std::get<std::string>(v_); }
  std::string& as_string() { return std::get<std::string>(v_); }
  const array& as_array() const { return std::get<array>(v_); }
  array& as_array() { return std::get<array>(v_); }
  const object& as_object() const { return std::get<object>(v_); }
  object& as_object() { return std::get<object>(v_); }

  /// Object member lookup; nullptr when not an object or missing.
  const value* find(std::string_view key) const;

  /// Structural equality; numbers compare by value across int/uint/double,
  /// bools only equal bools (matching uses its own Python-style equality).
  friend bool operator==(const value& x, const value& y);

private:
  std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string,
               array, object>
      v_;
};

struct member {
  std::string key;
  value val;
  friend bool operator==(const member& x, const member& y) = default;
};

// -- parsing ------------------------------------------------------------------

/// The reference fails to serialize any value nested deeper than this.
constexpr int max_depth = 100;

struct parse_options {
  /// Values nested deeper than this are rejected (top-level value = depth 0).
  int max_depth = json::max_depth;
  /// Strings longer than this (bytes) are rejected.
  std::size_t max_string_bytes = 64u << 20;
};

/// Parses one JSON document (RFC 8259, UTF-8). Keeps nulls and the
/// int/float distinction exactly as written; duplicate keys: last one wins.
/// Errors name the byte offset, e.g. "invalid JSON at offset 12: ...".
result<value> parse(std::string_view text, const parse_options& opts = {});

// -- writing ------------------------------------------------------------------

/// Appends the compact JSON of `v` to `out` with the reference's wire and
/// canonical rules: sorted keys, null object members dropped (array nulls
/// kept), integral floats as integers, NaN/Inf as null, raw UTF-8 strings.
void write(const value& v, std::string& out);

/// Returns the compact (= canonical) JSON text of `v`.
std::string to_string(const value& v);

/// Returns an error when `v` cannot be serialized by the reference: an
/// integral float beyond 64 bits, or nesting deeper than max_depth.
status check_encodable(const value& v);

/// Appends a JSON string literal with the reference's escaping.
void write_string(std::string_view s, std::string& out);

/// Appends a number as the reference writes it: integral values as
/// integers, other finite values as shortest round-trip digits in fixed
/// notation for exponents -5..15 and `1.5e-10` style otherwise; NaN/Inf
/// as null.
void write_number(double d, std::string& out);

/// A streaming writer for encoders that emit members in a known order.
/// It inserts commas and colons; the caller keeps keys sorted where the
/// output must be canonical.
class writer {
public:
  explicit writer(std::string& out) : out_(out) {}

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(std::string_view k);

  void null();
  void boolean(bool b);
  void integer(int64_t i);
  void number(double d);
  void string(std::string_view s);
  /// Writes a DOM value (its own null members dropped).
  void json(const value& v);

  std::string& out() noexcept { return out_; }

private:
  void separate();

  std::string& out_;
  bool first_ = true;
};

} // namespace rxon::json
