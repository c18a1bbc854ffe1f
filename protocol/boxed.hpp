#pragma once

// An optional member kept on the heap, for the large sub-models that the
// hot messages rarely carry (a security context, an error, metadata maps).
// A task result or payload crosses several moves and a core boundary per
// task; boxing its rare parts halves its size (task_result 600 -> 296
// bytes) at the price of one allocation when a part is present.

#include <memory>
#include <optional>
#include <utility>

namespace rxon {

/// The subset of std::optional's interface the protocol code uses; copies
/// are deep and equality compares values, as with std::optional.
template <class T>
class boxed {
public:
  boxed() noexcept = default;
  boxed(std::nullopt_t) noexcept {}
  boxed(T v) : p_(std::make_unique<T>(std::move(v))) {}
  boxed(const boxed& other)
      : p_(other.p_ ? std::make_unique<T>(*other.p_) : nullptr) {}
  boxed(boxed&&) noexcept = default;

  boxed& operator=(const boxed& other) {
    if (this != &other)
      p_ = other.p_ ? std::make_unique<T>(*other.p_) : nullptr;
    return *this;
  }
  boxed& operator=(boxed&&) noexcept = default;
  boxed& operator=(std::nullopt_t) noexcept {
    p_.reset();
    return *this;
  }
  boxed& operator=(T v) {
    if (p_)
      *p_ = std::move(v);
    else
      p_ = std::make_unique<T>(std::move(v));
    return *this;
  }

  template <class... Args>
  T& emplace(Args&&... args) {
    p_ = std::make_unique<T>(std::forward<Args>(args)...);
    return *p_;
  }
  void reset() noexcept { p_.reset(); }

  bool has_value() const noexcept { return p_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }

  T& operator*() & noexcept { return *p_; }
  const T& operator*() const& noexcept { return *p_; }
  T* operator->() noexcept { return p_.get(); }
  const T* operator->() const noexcept { return p_.get(); }

  friend bool operator==(const boxed& a, const boxed& b) {
    return a.has_value() == b.has_value() && (!a || *a == *b);
  }
  friend bool operator==(const boxed& a, std::nullopt_t) noexcept { return !a; }

private:
  std::unique_ptr<T> p_;
};

} // namespace rxon
