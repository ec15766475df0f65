// Host reductions against independent references: every f16 bit pattern, round-to-
// nearest-even checked against a search over all f16 values, and every dtype x op
// against double arithmetic rounded once.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/backends/half_float.h"
#include "collectives/backends/host_reduce.h"
#include "common/error.h"
#include "tests/support/reference.h"

namespace cairn::coll {
namespace {

// The value of an f16 bit pattern from its fields (no float tricks).
double f16_value(std::uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
  double v;
  if (exp == 0) v = std::ldexp(mant, -24);
  else if (exp == 31) v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else v = std::ldexp(1024 + mant, exp - 25);
  return sign ? -v : v;
}

// Nearest representable value by search: `sorted` holds every finite non-negative value
// of the type in increasing order, index = bit pattern. Ties go to the even pattern;
// beyond the largest finite value (at or past the halfway point to the next binade) to
// infinity.
std::uint16_t nearest(double x, const std::vector<double>& sorted, std::uint16_t inf_bits, double overflow_at) {
  const std::uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  const double a = std::fabs(x);
  if (a >= overflow_at) return sign | inf_bits;
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), a);
  std::size_t hi = std::size_t(it - sorted.begin());
  if (hi == sorted.size()) hi = sorted.size() - 1;
  if (sorted[hi] == a) return std::uint16_t(sign | hi);
  const std::size_t lo = hi - 1;
  const double dlo = a - sorted[lo], dhi = sorted[hi] - a;
  std::size_t pick = dlo < dhi ? lo : dhi < dlo ? hi : (lo % 2 == 0 ? lo : hi);
  return std::uint16_t(sign | pick);
}

struct Tables {
  std::vector<double> f16, bf16;
  Tables() {
    for (std::uint32_t b = 0; b < 0x7C00; ++b) f16.push_back(f16_value(std::uint16_t(b)));
    for (std::uint32_t b = 0; b < 0x7F80; ++b) bf16.push_back(bf16_to_f32(std::uint16_t(b)));
  }
};
const Tables& tables() {
  static const Tables t;
  return t;
}
// Halfway between the largest finite value and the next power of two rounds to infinity.
const double kF16OverflowAt = 65520.0;
const double kBf16OverflowAt = std::ldexp(2.0 - std::ldexp(1.0, -8), 127);

std::uint16_t ref_f16(double x) { return nearest(x, tables().f16, 0x7C00, kF16OverflowAt); }
std::uint16_t ref_bf16(double x) { return nearest(x, tables().bf16, 0x7F80, kBf16OverflowAt); }

TEST(HalfFloat, EveryF16PatternWidensExactlyAndRoundTrips) {
  for (std::uint32_t b = 0; b <= 0xFFFF; ++b) {
    const auto h = std::uint16_t(b);
    const double want = f16_value(h);
    const float got = f16_to_f32(h);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << std::hex << b;
      EXPECT_EQ(f32_to_f16(got) & 0x7E00, 0x7E00) << "NaN stays a quiet NaN: " << std::hex << b;
      continue;
    }
    ASSERT_EQ(double(got), want) << std::hex << b;
    ASSERT_EQ(f32_to_f16(got), h) << std::hex << b;
  }
}

TEST(HalfFloat, F32ToF16RoundsToNearestEven) {
  std::mt19937 rng(7);
  std::vector<float> xs;
  // Halfway points and their neighbours between consecutive f16 values, all binades.
  const auto& t = tables().f16;
  for (std::size_t i = 0; i + 1 < t.size(); i += 3) {
    const float mid = float((t[i] + t[i + 1]) / 2);
    xs.insert(xs.end(), {mid, std::nextafter(mid, 0.f), std::nextafter(mid, 1e9f), -mid});
  }
  std::uniform_int_distribution<std::uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    const float f = std::bit_cast<float>(bits(rng));
    if (!std::isnan(f)) xs.push_back(f);
  }
  xs.insert(xs.end(), {65504.f, 65519.99f, 65520.f, 1e30f, -0.f, 0.f, std::numeric_limits<float>::infinity(), 5.96e-8f, 2.98e-8f, 2.99e-8f});
  for (float f : xs) ASSERT_EQ(f32_to_f16(f), ref_f16(f)) << f;
}

TEST(HalfFloat, F32ToBf16RoundsToNearestEven) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::uint32_t> bits;
  for (int i = 0; i < 300000; ++i) {
    std::uint32_t w = bits(rng);
    if (i % 3 == 0) w = (w & 0xFFFF0000u) | 0x8000u;  // exact ties
    const float f = std::bit_cast<float>(w);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(f))));
      continue;
    }
    ASSERT_EQ(f32_to_bf16(f), ref_bf16(f)) << std::hex << w;
  }
}

// One reduction step must be the exact result rounded once to the type.
double rounded(double exact, DataType dt) {
  switch (dt) {
    case DataType::f16: return f16_to_f32(ref_f16(exact));
    case DataType::bf16: return bf16_to_f32(ref_bf16(exact));
    case DataType::f32: return double(float(exact));
    case DataType::f64: return exact;
    default: return testing::wrap(exact, dt);
  }
}

double apply(ReduceOp op, double a, double b) {
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::avg: return a + b;
    case ReduceOp::prod: return a * b;
    case ReduceOp::max: return std::max(a, b);
    case ReduceOp::min: return std::min(a, b);
  }
  return 0;
}

constexpr DataType kTypes[] = {DataType::f32, DataType::f16, DataType::bf16, DataType::f64,
                               DataType::i32, DataType::i64, DataType::u8};
constexpr ReduceOp kOps[] = {ReduceOp::sum, ReduceOp::prod, ReduceOp::max, ReduceOp::min, ReduceOp::avg};

// Random values of the type, wide enough that sums and products round (floats) or wrap
// (integers: the loops compute modulo 2^bits, as NCCL does).
std::vector<std::byte> random_buffer(DataType dt, std::size_t n, std::mt19937& rng) {
  std::vector<std::byte> buf(n * dtype_size(dt));
  std::uniform_real_distribution<double> real(-1000, 1000);
  std::uniform_int_distribution<std::int64_t> integer(-(std::int64_t(1) << 40), std::int64_t(1) << 40);
  for (std::size_t i = 0; i < n; ++i) {
    double v;
    if (testing::is_float(dt)) v = rounded(real(rng), dt);
    else if (dt == DataType::i64) v = double(integer(rng));
    else v = testing::wrap(double(integer(rng) % 100000), dt);
    testing::put(buf.data(), dt, i, v);
  }
  return buf;
}

TEST(HostReduce, EveryTypeAndOpMatchesOneRoundedStep) {
  std::mt19937 rng(3);
  const std::size_t n = 1037;  // odd: exercises the vector loops' tails
  for (DataType dt : kTypes) {
    for (ReduceOp op : kOps) {
      SCOPED_TRACE(std::string(to_string(dt)) + " " + std::string(to_string(op)));
      const auto a = random_buffer(dt, n, rng), b = random_buffer(dt, n, rng);
      auto into = a;
      reduce_into(into.data(), b.data(), n, dt, op);
      std::vector<std::byte> to(a.size());
      reduce_to(to.data(), a.data(), b.data(), n, dt, op);
      for (std::size_t i = 0; i < n; ++i) {
        const double x = testing::get(a.data(), dt, i), y = testing::get(b.data(), dt, i);
        double want;
        if (dt == DataType::i64 && (op == ReduceOp::sum || op == ReduceOp::avg || op == ReduceOp::prod)) {
          // Exact modulo 2^64, beyond double's 53 bits.
          const auto xi = std::uint64_t(std::int64_t(x)), yi = std::uint64_t(std::int64_t(y));
          want = double(std::int64_t(op == ReduceOp::prod ? xi * yi : xi + yi));
        } else {
          want = rounded(apply(op, x, y), dt);
        }
        ASSERT_EQ(testing::get(into.data(), dt, i), want) << "reduce_into at " << i << ": " << x << ", " << y;
        ASSERT_EQ(testing::get(to.data(), dt, i), want) << "reduce_to at " << i;
      }
    }
  }
}

TEST(HostReduce, FinishAvgDividesOnceAndOnlyForAvg) {
  for (DataType dt : kTypes) {
    SCOPED_TRACE(std::string(to_string(dt)));
    std::vector<std::byte> buf(5 * dtype_size(dt));
    const double values[] = {7, 9, 24, 0, 100};
    for (int i = 0; i < 5; ++i) testing::put(buf.data(), dt, std::size_t(i), values[i]);
    auto untouched = buf;
    finish_avg(untouched.data(), 5, dt, ReduceOp::sum, 3);
    EXPECT_EQ(untouched, buf);
    finish_avg(buf.data(), 5, dt, ReduceOp::avg, 3);
    for (int i = 0; i < 5; ++i) {
      const double want = testing::is_float(dt) ? rounded(values[i] / 3, dt) : std::trunc(values[i] / 3);
      EXPECT_EQ(testing::get(buf.data(), dt, std::size_t(i)), want) << i;
    }
  }
  std::int32_t negative[] = {-7};
  finish_avg(negative, 1, DataType::i32, ReduceOp::avg, 2);
  EXPECT_EQ(negative[0], -3);  // C++ (and NCCL) integer division truncates toward zero
}

TEST(HostReduce, ZeroCountTouchesNothing) {
  float a = 1, b = 2;
  reduce_into(&a, &b, 0, DataType::f32, ReduceOp::sum);
  reduce_to(&a, &b, &b, 0, DataType::f32, ReduceOp::sum);
  EXPECT_EQ(a, 1.f);
}

TEST(DataTypeNames, BothSpellingsParseAndUnknownNamesListTheValidOnes) {
  for (DataType dt : kTypes) EXPECT_EQ(parse_dtype(to_string(dt)), dt);
  EXPECT_EQ(parse_dtype("float"), DataType::f32);
  EXPECT_EQ(parse_dtype("half"), DataType::f16);
  EXPECT_EQ(parse_dtype("bfloat16"), DataType::bf16);
  EXPECT_EQ(parse_dtype("double"), DataType::f64);
  EXPECT_EQ(parse_dtype("int32"), DataType::i32);
  EXPECT_EQ(parse_dtype("int64"), DataType::i64);
  EXPECT_EQ(parse_dtype("uint8"), DataType::u8);
  EXPECT_EQ(dtype_size(DataType::bf16), 2u);
  EXPECT_EQ(dtype_size(DataType::i64), 8u);
  for (ReduceOp op : kOps) EXPECT_EQ(parse_op(to_string(op)), op);
  for (Algorithm a : {Algorithm::automatic, Algorithm::ring, Algorithm::tree, Algorithm::rhd})
    EXPECT_EQ(parse_algorithm(to_string(a)), a);
  try {
    parse_dtype("float8");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'float8'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bf16/bfloat16"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_op("mean"), Error);
  EXPECT_THROW(parse_algorithm("butterfly"), Error);
}

}  // namespace
}  // namespace cairn::coll
