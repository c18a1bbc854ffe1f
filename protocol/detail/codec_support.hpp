#pragma once

// Internal to the codec: field descriptors and the generic decode, encode,
// DOM and encodability walkers that every model shares. Each model lists its
// fields once, sorted by key (protocol/detail/codec_models.hpp), so decoding
// is one merge walk over the (sorted) JSON object and encoding writes keys in
// canonical order without a DOM.

#include "protocol/codec.hpp"

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace rxon::detail {

// -- paths -------------------------------------------------------------------

/// A field path kept on the stack while walking; rendered only on error.
struct path {
  const path* parent = nullptr;
  std::string_view key; ///< member name or map key; unused for an index
  std::size_t index = 0;
  bool is_index = false;
  int depth = 0; ///< JSON depth of the value at this path (top level = 0)

  path child(std::string_view k) const {
    return {this, k, 0, false, depth + 1};
  }
  path item(std::size_t i) const { return {this, {}, i, true, depth + 1}; }
  /// E.g. `supported_skills[1].name`.
  std::string str() const;
};

error missing(const path& p);
error wrong_type(const path& p, std::string_view expected);
error out_of_range(const path& p, std::string_view what);

/// Checks that a free-form value at `p` can be encoded by the reference:
/// nothing deeper than json::max_depth overall, no integer beyond 64 bits.
bool check_free_form(const json::value& v, const path& p, error& e);

// -- field tables ------------------------------------------------------------

template <class T, class M>
struct field {
  std::string_view name;
  M T::*member;
  bool required;
};

/// Specialised per model: `name` (conformance name) and `fields` (sorted by
/// key); optionally `wire_fields` (declaration order, for SkillInfo).
template <class T>
struct model;

template <class T>
concept is_model = requires {
  model<T>::fields;
};

template <class T>
struct is_optional_t : std::false_type {};
template <class T>
struct is_optional_t<std::optional<T>> : std::true_type {};
template <class T>
struct is_optional_t<boxed<T>> : std::true_type {};

template <class Tuple>
constexpr bool names_sorted(const Tuple& t) {
  return std::apply(
      [](const auto&... f) {
        std::string_view names[] = {f.name...};
        for (std::size_t i = 1; i < sizeof...(f); ++i)
          if (!(names[i - 1] < names[i]))
            return false;
        return true;
      },
      t);
}

/// Merge-walks a sorted JSON object while fields are read in sorted order.
class cursor {
public:
  explicit cursor(const json::object& o) : it_(o.begin()), end_(o.end()) {}
  const json::value* get(std::string_view key) {
    while (it_ != end_ && std::string_view{it_->key} < key)
      ++it_;
    if (it_ != end_ && it_->key == key)
      return &(it_++)->val;
    return nullptr;
  }

private:
  json::object::const_iterator it_;
  json::object::const_iterator end_;
};

/// Decoder state: the first error, and whether values may be moved out of
/// the DOM (decode() owns its DOM; from_json(const&) must copy).
struct decode_ctx {
  error err;
  bool steal = false;
};

// -- decoding ----------------------------------------------------------------

template <class T>
struct is_map_t : std::false_type {};
template <class T>
struct is_map_t<std::map<std::string, T>> : std::true_type {};

/// The JSON type a member of type T expects, for error messages.
template <class T>
constexpr std::string_view expected_name() {
  if constexpr (std::is_same_v<T, std::string>)
    return "string";
  else if constexpr (std::is_same_v<T, int64_t>)
    return "integer";
  else if constexpr (std::is_same_v<T, double>)
    return "number";
  else if constexpr (is_model<T> || is_map_t<T>::value)
    return "object";
  else if constexpr (std::is_same_v<T, json::value>)
    return "a value";
  else
    return "array";
}

bool read(const json::value& v, const path& p, std::string& out, decode_ctx& c);
bool read(const json::value& v, const path& p, int64_t& out, decode_ctx& c);
bool read(const json::value& v, const path& p, double& out, decode_ctx& c);
bool read(const json::value& v, const path& p, json::value& out, decode_ctx& c);
template <class T>
bool read(const json::value& v, const path& p, std::vector<T>& out,
          decode_ctx& c);
template <class T>
bool read(const json::value& v, const path& p, std::map<std::string, T>& out,
          decode_ctx& c);
template <is_model T>
bool read(const json::value& v, const path& p, T& out, decode_ctx& c);

template <class T>
bool read(const json::value& v, const path& p, std::vector<T>& out,
          decode_ctx& c) {
  if (!v.is_array()) {
    c.err = wrong_type(p, "array");
    return false;
  }
  const auto& items = v.as_array();
  out.resize(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto ip = p.item(i);
    if (items[i].is_null()) {
      // An array keeps its nulls, so a null item is not "absent".
      c.err = wrong_type(ip, expected_name<T>());
      return false;
    }
    if (!read(items[i], ip, out[i], c))
      return false;
  }
  return true;
}

template <class T>
bool read(const json::value& v, const path& p, std::map<std::string, T>& out,
          decode_ctx& c) {
  if (!v.is_object()) {
    c.err = wrong_type(p, "object");
    return false;
  }
  for (const auto& m : v.as_object()) {
    if (m.val.is_null())
      continue; // null members are absent, as on the wire
    auto mp = p.child(m.key);
    if (!read(m.val, mp, out.emplace_hint(out.end(), m.key, T{})->second, c))
      return false;
  }
  return true;
}

template <class T, class M>
bool read_field(cursor& cur, const path& p, T& out, const field<T, M>& f,
                decode_ctx& c) {
  const json::value* v = cur.get(f.name);
  if (v == nullptr || v->is_null()) {
    if (f.required) {
      c.err = missing(p.child(f.name));
      return false;
    }
    return true;
  }
  auto& m = out.*f.member;
  if constexpr (is_optional_t<M>::value)
    return read(*v, p.child(f.name), m.emplace(), c);
  else
    return read(*v, p.child(f.name), m, c);
}

template <is_model T>
bool read(const json::value& v, const path& p, T& out, decode_ctx& c) {
  static_assert(names_sorted(model<T>::fields), "fields must be sorted");
  if (!v.is_object()) {
    c.err = wrong_type(p, "object");
    return false;
  }
  cursor cur{v.as_object()};
  return std::apply(
      [&](const auto&... f) { return (read_field(cur, p, out, f, c) && ...); },
      model<T>::fields);
}

/// from_json<T>: the top level must be an object.
template <is_model T>
result<T> decode_model(const json::value& v, bool steal) {
  if (!v.is_object())
    return error{errc::wrong_type,
                 std::string{model<T>::name} + ": expected object"};
  T out;
  decode_ctx c;
  c.steal = steal;
  if (!read(v, path{}, out, c))
    return std::move(c.err);
  return out;
}

} // namespace rxon::detail
