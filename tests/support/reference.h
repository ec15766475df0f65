// The float64 reference the host reductions and the UCX collectives are checked against:
// test inputs every data type represents exactly, the exact result folded in double, and
// the error bound the rounding of each type allows.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "collectives/backends/communicator.h"
#include "collectives/backends/half_float.h"

namespace cairn::coll::testing {

inline bool is_float(DataType dt) {
  return dt == DataType::f32 || dt == DataType::f64 || dt == DataType::f16 || dt == DataType::bf16;
}

// Unit roundoff u = 2^-p of a type with a p-bit significand (11 for f16, 8 for bf16):
// one correctly rounded operation has relative error at most u.
inline double unit_roundoff(DataType dt) {
  switch (dt) {
    case DataType::f16: return std::ldexp(1.0, -11);
    case DataType::bf16: return std::ldexp(1.0, -8);
    case DataType::f32: return std::ldexp(1.0, -24);
    case DataType::f64: return std::ldexp(1.0, -53);
    default: return 0.0;
  }
}

inline void put(std::byte* buf, DataType dt, std::size_t i, double v) {
  auto store = [&](auto x) { std::memcpy(buf + i * sizeof(x), &x, sizeof(x)); };
  switch (dt) {
    case DataType::f32: return store(static_cast<float>(v));
    case DataType::f64: return store(v);
    case DataType::f16: return store(f32_to_f16(static_cast<float>(v)));
    case DataType::bf16: return store(f32_to_bf16(static_cast<float>(v)));
    case DataType::i32: return store(static_cast<std::int32_t>(v));
    case DataType::i64: return store(static_cast<std::int64_t>(v));
    case DataType::u8: return store(static_cast<std::uint8_t>(v));
  }
}

inline double get(const std::byte* buf, DataType dt, std::size_t i) {
  auto load = [&](auto x) {
    std::memcpy(&x, buf + i * sizeof(x), sizeof(x));
    return x;
  };
  switch (dt) {
    case DataType::f32: return load(float{});
    case DataType::f64: return load(double{});
    case DataType::f16: return f16_to_f32(load(std::uint16_t{}));
    case DataType::bf16: return bf16_to_f32(load(std::uint16_t{}));
    case DataType::i32: return double(load(std::int32_t{}));
    case DataType::i64: return double(load(std::int64_t{}));
    case DataType::u8: return double(load(std::uint8_t{}));
  }
  return 0.0;
}

// A deterministic pseudo-random value for (seed, rank, index), exactly representable in
// dt, in a range where the exact reduction over up to 8 ranks cannot overflow (u8 sum and
// prod may wrap; the reference wraps the same way). Float sums need up to 9 significant
// bits and products up to 13, so f16 and bf16 results really are rounded.
inline double input_value(DataType dt, ReduceOp op, std::uint32_t seed, int rank, std::size_t i) {
  std::uint64_t h = (std::uint64_t(seed) << 40) ^ (std::uint64_t(rank) << 32) ^ i;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  const int r = int(h % 1000003);
  if (is_float(dt)) {
    if (op == ReduceOp::prod) {
      static constexpr double kFactors[] = {-2.0, -1.5, -1.0, -0.75, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0};
      return kFactors[r % 10];
    }
    return (r % 65 - 32) / 4.0;  // quarters in [-8, 8]
  }
  if (op == ReduceOp::prod) return dt == DataType::u8 ? r % 3 : r % 7 - 3;
  if (dt == DataType::u8) return op == ReduceOp::max || op == ReduceOp::min ? r % 256 : r % 32;
  return r % 2001 - 1000;
}

// Wraps an exact integer into dt's range as two's complement arithmetic does.
inline double wrap(double v, DataType dt) {
  const auto i = static_cast<std::int64_t>(v);
  switch (dt) {
    case DataType::u8: return double(static_cast<std::uint8_t>(static_cast<std::uint64_t>(i)));
    case DataType::i32: return double(static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(i))));
    default: return double(i);
  }
}

// The exact result of reducing `values` (one per rank), as the type would hold it.
struct Expected {
  double value = 0;
  double tolerance = 0;  // largest allowed |result - value|
};

// Error bounds for a reduction in N-1 correctly rounded steps (Higham, "Accuracy and
// Stability of Numerical Algorithms", 2nd ed., §3.1 and §4.2): a sum in any order errs by
// at most (N-1)·u·Σ|x|, a product by ((1+u)^(N-1) - 1)·|Π x|; max and min are exact. avg
// divides the rounded sum, adding one rounding of the quotient.
inline Expected expected(const std::vector<double>& values, DataType dt, ReduceOp op) {
  const int n = int(values.size());
  double acc = values[0], sum_abs = std::fabs(values[0]);
  for (int r = 1; r < n; ++r) {
    const double x = values[std::size_t(r)];
    sum_abs += std::fabs(x);
    switch (op) {
      case ReduceOp::sum:
      case ReduceOp::avg: acc += x; break;
      case ReduceOp::prod: acc *= x; break;
      case ReduceOp::max: acc = std::max(acc, x); break;
      case ReduceOp::min: acc = std::min(acc, x); break;
    }
  }
  Expected e;
  if (!is_float(dt)) {
    e.value = wrap(acc, dt);
    if (op == ReduceOp::avg) e.value = dt == DataType::u8 ? std::floor(e.value / n) : std::trunc(e.value / n);
    return e;
  }
  const double u = unit_roundoff(dt);
  e.value = acc;
  switch (op) {
    case ReduceOp::sum: e.tolerance = (n - 1) * u * sum_abs; break;
    case ReduceOp::prod: e.tolerance = (std::pow(1 + u, n - 1) - 1) * std::fabs(acc); break;
    case ReduceOp::avg:
      e.value = acc / n;
      e.tolerance = (n - 1) * u * sum_abs / n * (1 + u) + u * std::fabs(e.value);
      break;
    default: break;
  }
  e.tolerance *= 1.0 + 1e-9;  // the bound itself is computed in double
  return e;
}

}  // namespace cairn::coll::testing
