#pragma once

// An immutable JSON value that copies share, encoded once.

#include "protocol/json.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace rxon::json {

/// An immutable JSON value whose copies share one tree (a reference count,
/// no deep copy) and its compact text (json::write), encoded once. For JSON
/// that many records carry unchanged: every task of one class has the same
/// requirements, and the dispatcher hands each to the writer thread.
class shared_value {
public:
  shared_value() noexcept = default;       ///< null
  shared_value(std::nullptr_t) noexcept {} // NOLINT: null, as json::value
  /// Implicit, so that a record field of this type is assigned a value as
  /// before.
  shared_value(value v); // NOLINT(google-explicit-constructor)
  shared_value(object o) : shared_value(value{std::move(o)}) {} // NOLINT

  /// The value (a null value when null).
  const value& get() const noexcept;
  operator const value&() const noexcept { return get(); } // NOLINT
  /// Its compact text; empty when null (stored as SQL NULL).
  const std::string& text() const noexcept;
  bool is_null() const noexcept { return !body_; }
  /// The tree this copy shares (null when null): copies of one value have
  /// the same identity, so a check of one holds for all of them.
  const void* identity() const noexcept { return body_.get(); }

  /// Structural equality, as json::value's.
  friend bool operator==(const shared_value& x, const shared_value& y) {
    return x.body_ == y.body_ || x.get() == y.get();
  }

private:
  struct body {
    value v;
    std::string text;
  };
  std::shared_ptr<const body> body_;
};

} // namespace rxon::json
