#include "collectives/measure/harness/data.h"

#include <cmath>
#include <cstring>

#include "collectives/backends/half_float.h"

namespace cairn::coll::bench {
namespace {

// splitmix64's finaliser (Steele, Lea, Flood 2014): a cheap, well-mixed hash of the
// element's coordinates, so any rank can recompute any other rank's data.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool is_unsigned(DataType dt) { return dt == DataType::u8; }

bool is_integer(DataType dt) {
  return dt == DataType::i32 || dt == DataType::i64 || dt == DataType::u8;
}

// Bits of precision, implicit bit included.
int precision_bits(DataType dt) {
  switch (dt) {
    case DataType::f16: return 11;
    case DataType::bf16: return 8;
    case DataType::f32: return 24;
    case DataType::f64: return 53;
    default: return 64;
  }
}

// Two's complement wrap of an integral double into 64 bits, as a device's integer
// arithmetic wraps (a product of many 2s, a u8 sum past 255).
std::uint64_t wrap_to_u64(double v) {
  constexpr double k2to64 = 18446744073709551616.0;
  constexpr double k2to63 = 9223372036854775808.0;
  // Wrap the magnitude (exactly: fmod is exact), then negate in unsigned arithmetic.
  const double m = std::fmod(std::fabs(std::trunc(v)), k2to64);
  const std::uint64_t u = m >= k2to63 ? static_cast<std::uint64_t>(m - k2to63) + (std::uint64_t{1} << 63)
                                      : static_cast<std::uint64_t>(m);
  return v < 0 ? ~u + 1 : u;
}

template <typename T>
void put(void* buffer, std::size_t i, T v) {
  std::memcpy(static_cast<char*>(buffer) + i * sizeof(T), &v, sizeof(T));
}

template <typename T>
T get(const void* buffer, std::size_t i) {
  T v;
  std::memcpy(&v, static_cast<const char*>(buffer) + i * sizeof(T), sizeof(T));
  return v;
}

}  // namespace

double input_value(const DataSpec& spec, int rank, std::size_t index) {
  const std::uint64_t h =
      mix(spec.seed * 0x9e3779b97f4a7c15ULL ^ mix(static_cast<std::uint64_t>(rank) + 1) ^ index);
  if (spec.op == ReduceOp::prod) return 1.0 + static_cast<double>(h & 1);  // 1 or 2
  const auto v = static_cast<double>(h % 9);
  return is_unsigned(spec.dtype) ? v : v - 4;  // [0, 8] or [-4, 4]
}

double reduce_over_ranks(const DataSpec& spec, std::size_t index) {
  double acc = input_value(spec, 0, index);
  for (int r = 1; r < spec.nranks; ++r) {
    const double v = input_value(spec, r, index);
    switch (spec.op) {
      case ReduceOp::sum:
      case ReduceOp::avg: acc += v; break;
      case ReduceOp::prod: acc *= v; break;
      case ReduceOp::max: acc = v > acc ? v : acc; break;
      case ReduceOp::min: acc = v < acc ? v : acc; break;
    }
  }
  return spec.op == ReduceOp::avg ? acc / spec.nranks : acc;
}

void store_value(DataType dt, void* buffer, std::size_t i, double value) {
  switch (dt) {
    case DataType::f32: put<float>(buffer, i, static_cast<float>(value)); break;
    case DataType::f64: put<double>(buffer, i, value); break;
    case DataType::f16: put<std::uint16_t>(buffer, i, f32_to_f16(static_cast<float>(value))); break;
    case DataType::bf16: put<std::uint16_t>(buffer, i, f32_to_bf16(static_cast<float>(value))); break;
    case DataType::i32: put<std::uint32_t>(buffer, i, static_cast<std::uint32_t>(wrap_to_u64(value))); break;
    case DataType::i64: put<std::uint64_t>(buffer, i, wrap_to_u64(value)); break;
    case DataType::u8: put<std::uint8_t>(buffer, i, static_cast<std::uint8_t>(wrap_to_u64(value))); break;
  }
}

double load_value(DataType dt, const void* buffer, std::size_t i) {
  switch (dt) {
    case DataType::f32: return get<float>(buffer, i);
    case DataType::f64: return get<double>(buffer, i);
    case DataType::f16: return f16_to_f32(get<std::uint16_t>(buffer, i));
    case DataType::bf16: return bf16_to_f32(get<std::uint16_t>(buffer, i));
    case DataType::i32: return get<std::int32_t>(buffer, i);
    case DataType::i64: return static_cast<double>(get<std::int64_t>(buffer, i));
    case DataType::u8: return get<std::uint8_t>(buffer, i);
  }
  return 0;
}

double round_to_dtype(DataType dt, double value) {
  unsigned char scratch[8];
  store_value(dt, scratch, 0, value);
  return load_value(dt, scratch, 0);
}

double check_tolerance(DataType dt, ReduceOp op, int nranks) {
  const double n = nranks;
  if (is_integer(dt)) return op == ReduceOp::avg ? 1.0 : 0.0;
  const double unit = std::ldexp(1.0, -precision_bits(dt));
  const double partial_max = kMaxInputMagnitude * n;
  switch (op) {
    case ReduceOp::sum:
      return partial_max <= std::ldexp(1.0, precision_bits(dt)) ? 0.0 : n * unit * partial_max;
    case ReduceOp::avg:
      return (n + 1) * unit * kMaxInputMagnitude;
    case ReduceOp::prod:
    case ReduceOp::max:
    case ReduceOp::min:
      return 0.0;
  }
  return 0.0;
}

}  // namespace cairn::coll::bench
