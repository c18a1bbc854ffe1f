#include "protocol/matching.hpp"

#include <array>
#include <cmath>
#include <compare>
#include <cstdint>
#include <memory>
#include <string_view>

namespace rxon {

namespace {

using kind = json::value::kind;

// -- numbers: Python semantics (bool is an int, int/float compare exactly) ---

struct number {
  enum class tag : uint8_t { i64, u64, f64 } t;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
};

bool is_numeric(const json::value& v) noexcept {
  auto k = v.type();
  return k == kind::boolean || k == kind::integer || k == kind::uinteger
         || k == kind::number;
}

number to_number(const json::value& v) {
  number n{};
  switch (v.type()) {
  case kind::boolean:
    n.t = number::tag::i64;
    n.i = v.as_bool() ? 1 : 0;
    break;
  case kind::integer:
    n.t = number::tag::i64;
    n.i = v.as_int();
    break;
  case kind::uinteger:
    n.t = number::tag::u64;
    n.u = v.as_uint();
    break;
  default:
    n.t = number::tag::f64;
    n.d = v.as_double();
    break;
  }
  return n;
}

// Exact comparison of an integer with a double, as Python does it (no
// rounding of the integer to double).
std::partial_ordering compare_int_double(int64_t i, double d) {
  if (std::isnan(d))
    return std::partial_ordering::unordered;
  if (d >= 0x1p63)
    return std::partial_ordering::less;
  if (d < -0x1p63)
    return std::partial_ordering::greater;
  auto t = static_cast<int64_t>(std::trunc(d));
  if (i != t)
    return i < t ? std::partial_ordering::less : std::partial_ordering::greater;
  auto frac = d - std::trunc(d);
  if (frac > 0)
    return std::partial_ordering::less;
  if (frac < 0)
    return std::partial_ordering::greater;
  return std::partial_ordering::equivalent;
}

// `u` is always above INT64_MAX (the DOM keeps int64 and uint64 disjoint).
std::partial_ordering compare_uint_double(uint64_t u, double d) {
  if (std::isnan(d))
    return std::partial_ordering::unordered;
  if (d >= 0x1p64)
    return std::partial_ordering::less;
  if (d < 0x1p63)
    return std::partial_ordering::greater;
  auto t = static_cast<uint64_t>(d); // integral in this range
  return u <=> t;
}

std::partial_ordering reverse(std::partial_ordering o) {
  return 0 <=> o;
}

std::partial_ordering compare(const number& x, const number& y) {
  using t = number::tag;
  switch (x.t) {
  case t::i64:
    if (y.t == t::i64)
      return x.i <=> y.i;
    if (y.t == t::u64)
      return std::partial_ordering::less;
    return compare_int_double(x.i, y.d);
  case t::u64:
    if (y.t == t::i64)
      return std::partial_ordering::greater;
    if (y.t == t::u64)
      return x.u <=> y.u;
    return compare_uint_double(x.u, y.d);
  case t::f64:
    if (y.t == t::i64)
      return reverse(compare_int_double(y.i, x.d));
    if (y.t == t::u64)
      return reverse(compare_uint_double(y.u, x.d));
    return x.d <=> y.d;
  }
  return std::partial_ordering::unordered;
}

bool any_equal(const json::array& xs, const json::value& y) {
  for (const auto& x : xs)
    if (python_equal(x, y))
      return true;
  return false;
}

// One PROP step for a present, non-null worker value (spec §4.1 2-5).
bool property_matches(const json::value& mine, const json::value& req) {
  if (is_numeric(mine) && is_numeric(req))
    return !(compare(to_number(mine), to_number(req)) < 0);
  if (req.is_array()) {
    const auto& wanted = req.as_array();
    if (!mine.is_array())
      return any_equal(wanted, mine);
    for (const auto& m : mine.as_array())
      if (any_equal(wanted, m))
        return true;
    return false;
  }
  if (mine.is_array())
    return any_equal(mine.as_array(), req);
  return python_equal(mine, req);
}

bool has_props(const json::value& v) {
  return v.is_object() && !v.as_object().empty();
}

bool non_empty(const std::optional<std::string>& s) {
  return s.has_value() && !s->empty();
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Is `needle` an ASCII case-insensitive substring of `hay`?
bool contains_icase(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size())
    return false;
  auto first = ascii_lower(needle.front());
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (ascii_lower(hay[i]) != first)
      continue;
    std::size_t j = 1;
    while (j < needle.size()
           && ascii_lower(hay[i + j]) == ascii_lower(needle[j]))
      ++j;
    if (j == needle.size())
      return true;
  }
  return false;
}

// Inline storage for small device counts; heap only beyond.
template <class T, std::size_t N>
class small_buffer {
public:
  explicit small_buffer(std::size_t n) {
    if (n > N) {
      heap_ = std::make_unique<T[]>(n);
      data_ = heap_.get();
    }
  }
  small_buffer(const small_buffer&) = delete;
  small_buffer& operator=(const small_buffer&) = delete;
  T& operator[](std::size_t i) { return data_[i]; }

private:
  std::array<T, N> inline_;
  std::unique_ptr<T[]> heap_;
  T* data_ = inline_.data();
};

constexpr int8_t unknown = -1;
constexpr int32_t none = -1;

// Finds a complete assignment of required devices to distinct worker
// devices. Greedy first-fit first (cheap, usually enough); when it leaves a
// requirement unassigned, augmenting paths (Kuhn, BFS variant) over the
// full compatibility matrix decide.
class device_assignment {
public:
  device_assignment(const std::vector<hardware_device>& have,
                    const std::vector<hardware_device>& want)
      : have_(have), want_(want), nh_(have.size()), nw_(want.size()),
        compat_(nh_ * nw_), owner_(nh_), assigned_(nw_), parent_(nh_),
        queue_(nw_) {}

  bool run() {
    for (std::size_t i = 0; i < nh_ * nw_; ++i)
      compat_[i] = unknown;
    for (std::size_t h = 0; h < nh_; ++h)
      owner_[h] = none;
    bool complete = true;
    for (std::size_t r = 0; r < nw_; ++r) {
      assigned_[r] = none;
      for (std::size_t h = 0; h < nh_; ++h) {
        if (owner_[h] == none && fits(r, h)) {
          owner_[h] = static_cast<int32_t>(r);
          assigned_[r] = static_cast<int32_t>(h);
          break;
        }
      }
      complete = complete && assigned_[r] != none;
    }
    if (complete)
      return true;
    for (std::size_t r = 0; r < nw_; ++r)
      if (assigned_[r] == none && !augment(r))
        return false;
    return true;
  }

private:
  bool fits(std::size_t r, std::size_t h) {
    auto& c = compat_[r * nh_ + h];
    if (c == unknown)
      c = matches(have_[h], want_[r]) ? 1 : 0;
    return c == 1;
  }

  // BFS over alternating paths from the free requirement `root`.
  bool augment(std::size_t root) {
    for (std::size_t h = 0; h < nh_; ++h)
      parent_[h] = none;
    std::size_t head = 0, tail = 0;
    queue_[tail++] = static_cast<int32_t>(root);
    while (head < tail) {
      auto r = static_cast<std::size_t>(queue_[head++]);
      for (std::size_t h = 0; h < nh_; ++h) {
        if (parent_[h] != none || !fits(r, h))
          continue;
        parent_[h] = static_cast<int32_t>(r);
        if (owner_[h] == none) {
          flip(h);
          return true;
        }
        queue_[tail++] = owner_[h]; // each requirement is queued once
      }
    }
    return false;
  }

  void flip(std::size_t h) {
    auto cur = static_cast<int32_t>(h);
    while (cur != none) {
      auto r = parent_[static_cast<std::size_t>(cur)];
      auto prev = assigned_[static_cast<std::size_t>(r)];
      owner_[static_cast<std::size_t>(cur)] = r;
      assigned_[static_cast<std::size_t>(r)] = cur;
      cur = prev;
    }
  }

  const std::vector<hardware_device>& have_;
  const std::vector<hardware_device>& want_;
  std::size_t nh_, nw_;
  small_buffer<int8_t, 64 * 64> compat_; ///< [want][have]: -1, 0 or 1
  small_buffer<int32_t, 64> owner_;      ///< have -> want, or none
  small_buffer<int32_t, 64> assigned_;   ///< want -> have, or none
  small_buffer<int32_t, 64> parent_;     ///< have -> want that reached it
  small_buffer<int32_t, 64> queue_;      ///< BFS queue of wants
};

} // namespace

bool python_equal(const json::value& x, const json::value& y) {
  if (is_numeric(x) || is_numeric(y)) {
    if (!is_numeric(x) || !is_numeric(y))
      return false;
    return compare(to_number(x), to_number(y)) == 0;
  }
  if (x.type() != y.type())
    return false;
  switch (x.type()) {
  case kind::null:
    return true;
  case kind::string:
    return x.as_string() == y.as_string();
  case kind::array: {
    const auto& a = x.as_array();
    const auto& b = y.as_array();
    if (a.size() != b.size())
      return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!python_equal(a[i], b[i]))
        return false;
    return true;
  }
  case kind::object: {
    // Both are sorted by key, so equal objects line up member by member.
    const auto& a = x.as_object();
    const auto& b = y.as_object();
    if (a.size() != b.size())
      return false;
    for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
      if (i->key != j->key || !python_equal(i->val, j->val))
        return false;
    return true;
  }
  default:
    return false;
  }
}

bool properties_match(const json::value& mine, const json::value& required) {
  if (!required.is_object())
    return true;
  const json::object* have = mine.is_object() ? &mine.as_object() : nullptr;
  for (const auto& [key, req] : required.as_object()) {
    const json::value* my = have ? have->find(key) : nullptr;
    if (!my || my->is_null() || !property_matches(*my, req))
      return false;
  }
  return true;
}

bool matches(const hardware_device& worker, const hardware_device& required) {
  if (!required.type.empty() && worker.type != required.type)
    return false;
  if (non_empty(required.model)
      && (!non_empty(worker.model)
          || !contains_icase(*worker.model, *required.model)))
    return false;
  if (non_empty(required.id) && worker.id != required.id)
    return false;
  return !has_props(required.properties)
         || properties_match(worker.properties, required.properties);
}

bool matches(const resources& worker, const resources& required) {
  if (required.devices && !required.devices->empty()) {
    static const std::vector<hardware_device> no_devices;
    const auto& have = worker.devices ? *worker.devices : no_devices;
    if (have.size() < required.devices->size())
      return false;
    if (!device_assignment{have, *required.devices}.run())
      return false;
  }
  return !has_props(required.properties)
         || properties_match(worker.properties, required.properties);
}

bool matches(const installed_artifact& worker,
             const installed_artifact& required) {
  if (worker.name != required.name)
    return false;
  if (required.version != "unknown" && worker.version != required.version)
    return false;
  return !has_props(required.properties)
         || properties_match(worker.properties, required.properties);
}

bool matches(const skill_info& worker, const skill_info& required) {
  if (worker.name != required.name)
    return false;
  if (required.type && worker.type != required.type)
    return false;
  return !required.version || worker.version == required.version;
}

} // namespace rxon
