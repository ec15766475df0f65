// Sizes computed from user input (a model file's dimensions, a batch size): products and
// sums of non-negative 64-bit counts that remember an overflow instead of wrapping, so a
// caller can refuse a size that does not fit rather than allocate a wrapped-around one.
#pragma once

#include <cstdint>

namespace cairn {

class CheckedSize {
 public:
  // A negative value counts as overflowed: sizes are never negative.
  constexpr CheckedSize(std::int64_t v = 0) : v_(v), overflowed_(v < 0) {}  // NOLINT: implicit on purpose

  constexpr bool overflowed() const { return overflowed_; }
  // The size; meaningful only when !overflowed().
  constexpr std::int64_t value() const { return v_; }

  friend constexpr CheckedSize operator+(CheckedSize a, CheckedSize b) {
    CheckedSize r;
    r.overflowed_ = a.overflowed_ || b.overflowed_ || __builtin_add_overflow(a.v_, b.v_, &r.v_);
    return r;
  }
  friend constexpr CheckedSize operator*(CheckedSize a, CheckedSize b) {
    CheckedSize r;
    r.overflowed_ = a.overflowed_ || b.overflowed_ || __builtin_mul_overflow(a.v_, b.v_, &r.v_);
    return r;
  }
  CheckedSize& operator+=(CheckedSize o) { return *this = *this + o; }
  CheckedSize& operator*=(CheckedSize o) { return *this = *this * o; }

 private:
  std::int64_t v_;
  bool overflowed_;
};

}  // namespace cairn
