// Built with -O3 (collectives/CMakeLists.txt): GCC's -O2 cost model does not vectorise
// loops whose trip count is unknown.
#include "collectives/backends/host_reduce.h"

#include <cstdint>
#include <type_traits>

#include "collectives/backends/half_float.h"
#include "common/error.h"

namespace cairn::coll {
namespace {

struct Sum {};
struct Prod {};
struct Max {};
struct Min {};

// The arithmetic type of each element type and how to load and store it.
template <typename T>
struct Plain {
  using Value = T;
  using Math = T;
  static Math load(Value v) { return v; }
  static Value store(Math m) { return m; }
};
struct Half {
  using Value = std::uint16_t;
  using Math = float;
  static Math load(Value v) { return f16_to_f32(v); }
  static Value store(Math m) { return f32_to_f16(m); }
};
struct BHalf {
  using Value = std::uint16_t;
  using Math = float;
  static Math load(Value v) { return bf16_to_f32(v); }
  static Value store(Math m) { return f32_to_bf16(m); }
};

// Signed integer sum and prod wrap (as NCCL's do) through the unsigned type, where
// overflow is defined; the conversion back is modular in C++20.
template <typename M, bool = std::is_integral_v<M>>
struct WrapOf {
  using type = M;
};
template <typename M>
struct WrapOf<M, true> {
  using type = std::make_unsigned_t<M>;
};
template <typename M>
using Wrap = typename WrapOf<M>::type;

template <typename Op, typename M>
inline M combine(M a, M b) {
  if constexpr (std::is_same_v<Op, Sum>) {
    return static_cast<M>(static_cast<Wrap<M>>(static_cast<Wrap<M>>(a) + static_cast<Wrap<M>>(b)));
  } else if constexpr (std::is_same_v<Op, Prod>) {
    return static_cast<M>(static_cast<Wrap<M>>(static_cast<Wrap<M>>(a) * static_cast<Wrap<M>>(b)));
  } else if constexpr (std::is_same_v<Op, Max>) {
    return a > b ? a : b;
  } else {
    return a < b ? a : b;
  }
}

template <typename E, typename Op>
void into_loop(void* dst_v, const void* src_v, std::size_t n) {
  using V = typename E::Value;
  V* __restrict dst = static_cast<V*>(dst_v);
  const V* __restrict src = static_cast<const V*>(src_v);
  for (std::size_t i = 0; i < n; ++i) dst[i] = E::store(combine<Op>(E::load(dst[i]), E::load(src[i])));
}

template <typename E, typename Op>
void to_loop(void* dst_v, const void* a_v, const void* b_v, std::size_t n) {
  using V = typename E::Value;
  V* __restrict dst = static_cast<V*>(dst_v);
  const V* __restrict a = static_cast<const V*>(a_v);
  const V* __restrict b = static_cast<const V*>(b_v);
  for (std::size_t i = 0; i < n; ++i) dst[i] = E::store(combine<Op>(E::load(a[i]), E::load(b[i])));
}

template <typename E>
void divide_loop(void* buf_v, std::size_t n, int ranks) {
  using V = typename E::Value;
  using M = typename E::Math;
  V* __restrict buf = static_cast<V*>(buf_v);
  const M d = static_cast<M>(ranks);
  for (std::size_t i = 0; i < n; ++i) buf[i] = E::store(static_cast<M>(E::load(buf[i]) / d));
}

// Calls f.template operator()<Element>() for dt.
template <typename F>
void with_element(DataType dt, F&& f) {
  switch (dt) {
    case DataType::f32: return f.template operator()<Plain<float>>();
    case DataType::f64: return f.template operator()<Plain<double>>();
    case DataType::f16: return f.template operator()<Half>();
    case DataType::bf16: return f.template operator()<BHalf>();
    case DataType::i32: return f.template operator()<Plain<std::int32_t>>();
    case DataType::i64: return f.template operator()<Plain<std::int64_t>>();
    case DataType::u8: return f.template operator()<Plain<std::uint8_t>>();
  }
  throw Error("host reduction: unknown data type " + std::to_string(static_cast<int>(dt)));
}

template <typename F>
void with_op(ReduceOp op, F&& f) {
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::avg: return f.template operator()<Sum>();
    case ReduceOp::prod: return f.template operator()<Prod>();
    case ReduceOp::max: return f.template operator()<Max>();
    case ReduceOp::min: return f.template operator()<Min>();
  }
  throw Error("host reduction: unknown reduction op " + std::to_string(static_cast<int>(op)));
}

}  // namespace

void reduce_into(void* dst, const void* src, std::size_t count, DataType dt, ReduceOp op) {
  if (count == 0) return;
  with_element(dt, [&]<typename E>() {
    with_op(op, [&]<typename Op>() { into_loop<E, Op>(dst, src, count); });
  });
}

void reduce_to(void* dst, const void* a, const void* b, std::size_t count, DataType dt,
               ReduceOp op) {
  if (count == 0) return;
  if (dst == a) return reduce_into(dst, b, count, dt, op);
  with_element(dt, [&]<typename E>() {
    with_op(op, [&]<typename Op>() { to_loop<E, Op>(dst, a, b, count); });
  });
}

void finish_avg(void* buf, std::size_t count, DataType dt, ReduceOp op, int ranks) {
  if (op != ReduceOp::avg || count == 0 || ranks <= 1) return;
  with_element(dt, [&]<typename E>() { divide_loop<E>(buf, count, ranks); });
}

}  // namespace cairn::coll
