#pragma once

// Internal to the codec: the generic encoders (streaming writer and DOM) and
// the encodability check used before signing a model directly.

#include "protocol/detail/codec_support.hpp"

namespace rxon::detail {

// -- encoding
// ------------------------------------------------------------------

/// Whether a member is written at all: absent optionals, nulls and
/// non-finite numbers (which the reference turns into dropped nulls) are not.
template <class M>
bool present(const M& m) {
  if constexpr (is_optional_t<M>::value)
    return m.has_value();
  else if constexpr (std::is_same_v<M, json::value>)
    return !m.is_null()
           && !(m.type() == json::value::kind::number
                && !std::isfinite(m.as_double()));
  else if constexpr (std::is_same_v<M, double>)
    return std::isfinite(m);
  else
    return true;
}

inline void write(json::writer& w, const std::string& s,
                  const encode_options&) {
  w.string(s);
}
inline void write(json::writer& w, int64_t i, const encode_options&) {
  w.integer(i);
}
inline void write(json::writer& w, double d, const encode_options&) {
  w.number(d);
}
inline void write(json::writer& w, const json::value& v,
                  const encode_options&) {
  w.json(v);
}
template <class T>
void write(json::writer& w, const std::vector<T>& xs, const encode_options& o);
template <class T>
void write(json::writer& w, const std::map<std::string, T>& xs,
           const encode_options& o);
template <is_model T>
void write(json::writer& w, const T& x, const encode_options& o,
           bool top = false);

template <class T>
void write(json::writer& w, const std::vector<T>& xs, const encode_options& o) {
  w.begin_array();
  for (const auto& x : xs)
    write(w, x, o);
  w.end_array();
}

template <class T>
void write(json::writer& w, const std::map<std::string, T>& xs,
           const encode_options& o) {
  w.begin_object(); // std::map orders keys by bytes: the canonical order
  for (const auto& [k, x] : xs) {
    if (!present(x))
      continue;
    w.key(k);
    write(w, x, o);
  }
  w.end_object();
}

inline bool omitted(const encode_options& o, std::string_view name) {
  for (auto n : o.omit)
    if (n == name)
      return true;
  return false;
}

template <class T, class M>
void write_field(json::writer& w, const T& x, const field<T, M>& f,
                 const encode_options& o, bool top) {
  const M& m = x.*f.member;
  if (!present(m) || (top && !o.omit.empty() && omitted(o, f.name)))
    return;
  w.key(f.name);
  if constexpr (is_optional_t<M>::value)
    write(w, *m, o);
  else
    write(w, m, o);
}

template <is_model T>
void write(json::writer& w, const T& x, const encode_options& o, bool top) {
  auto all = [&](const auto&... f) { (write_field(w, x, f, o, top), ...); };
  w.begin_object();
  if constexpr (requires { model<T>::wire_fields; }) {
    if (!o.canonical) {
      std::apply(all, model<T>::wire_fields);
      w.end_object();
      return;
    }
  }
  std::apply(all, model<T>::fields);
  w.end_object();
}

template <is_model T>
void encode_model(const T& x, std::string& out, const encode_options& o) {
  json::writer w{out};
  write(w, x, o, true);
}

// -- DOM
// -----------------------------------------------------------------------

inline json::value to_dom(const std::string& s) {
  return json::value{s};
}
inline json::value to_dom(int64_t i) {
  return json::value{static_cast<long long>(i)};
}
inline json::value to_dom(double d) {
  return json::value{d};
}
inline json::value to_dom(const json::value& v) {
  return v;
}
template <class T>
json::value to_dom(const std::vector<T>& xs);
template <class T>
json::value to_dom(const std::map<std::string, T>& xs);
template <is_model T>
json::value to_dom(const T& x);

template <class T>
json::value to_dom(const std::vector<T>& xs) {
  json::array a;
  a.reserve(xs.size());
  for (const auto& x : xs)
    a.push_back(to_dom(x));
  return json::value{std::move(a)};
}

template <class T>
json::value to_dom(const std::map<std::string, T>& xs) {
  json::object o;
  o.reserve(xs.size());
  for (const auto& [k, x] : xs)
    if (present(x))
      o.append_sorted(k, to_dom(x));
  return json::value{std::move(o)};
}

template <is_model T>
json::value to_dom(const T& x) {
  json::object o;
  auto add = [&](const auto& f) {
    const auto& m = x.*f.member;
    if (!present(m))
      return;
    if constexpr (is_optional_t<std::decay_t<decltype(m)>>::value)
      o.append_sorted(std::string{f.name}, to_dom(*m));
    else
      o.append_sorted(std::string{f.name}, to_dom(m));
  };
  std::apply([&](const auto&... f) { (add(f), ...); }, model<T>::fields);
  return json::value{std::move(o)};
}

// -- encodability (what to_dict would reject)
// ----------------------------------

template <class M>
bool check(const M&, const path&, error&) {
  return true; // strings and typed numbers are always encodable
}
inline bool check(const json::value& v, const path& p, error& e) {
  return check_free_form(v, p, e);
}
template <class T>
bool check(const std::vector<T>& xs, const path& p, error& e);
template <class T>
bool check(const std::map<std::string, T>& xs, const path& p, error& e);
template <is_model T>
bool check(const T& x, const path& p, error& e);

template <class T>
bool check(const std::vector<T>& xs, const path& p, error& e) {
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (!check(xs[i], p.item(i), e))
      return false;
  return true;
}

template <class T>
bool check(const std::map<std::string, T>& xs, const path& p, error& e) {
  for (const auto& [k, x] : xs)
    if (!check(x, p.child(k), e))
      return false;
  return true;
}

template <is_model T>
bool check(const T& x, const path& p, error& e) {
  auto one = [&](const auto& f) {
    const auto& m = x.*f.member;
    if constexpr (is_optional_t<std::decay_t<decltype(m)>>::value)
      return !m || check(*m, p.child(f.name), e);
    else
      return check(m, p.child(f.name), e);
  };
  return std::apply([&](const auto&... f) { return (one(f) && ...); },
                    model<T>::fields);
}

} // namespace rxon::detail

/// Defines from_json<T>, encode_to<T> and to_json<T> for a model.
#define RXON_CODEC_DEFINE(T)                                                   \
  template <>                                                                  \
  result<T> from_json<T>(const json::value& v) {                               \
    return detail::decode_model<T>(v);                                         \
  }                                                                            \
  template <>                                                                  \
  void encode_to<T>(const T& msg, std::string& out, const encode_options& o) { \
    detail::encode_model(msg, out, o);                                         \
  }                                                                            \
  template <>                                                                  \
  json::value to_json<T>(const T& msg) {                                       \
    return detail::to_dom(msg);                                                \
  }
