#include "collectives/backends/argcheck.h"

#include <limits>

#include <fmt/format.h>

#include "common/error.h"

namespace cairn::coll::detail {

void check_buffer(const char* op, const char* which, const void* buf, std::size_t count) {
  if (count > 0 && !buf)
    throw Error(fmt::format("{}: {} buffer is null with count {} (pass a buffer, or count 0)", op, which, count));
}

void check_dtype(const char* op, DataType dt) {
  if (static_cast<unsigned>(dt) > static_cast<unsigned>(DataType::u8))
    throw Error(fmt::format("{}: data type {} is not one of f32, f16, bf16, f64, i32, i64, u8", op, static_cast<int>(dt)));
}

std::size_t check_bytes(const char* op, std::size_t count, DataType dt, std::size_t blocks) {
  check_dtype(op, dt);
  const std::size_t elem = dtype_size(dt);
  const std::size_t n = blocks == 0 ? 1 : blocks;
  if (count > std::numeric_limits<std::size_t>::max() / elem / n)
    throw Error(fmt::format("{}: count {} of {} x {} blocks overflows the buffer size (size_t bytes); pass a smaller count",
                            op, count, to_string(dt), n));
  return count * elem * n;
}

void check_rank(const char* op, const char* what, int r, int size) {
  if (r < 0 || r >= size) throw Error(fmt::format("{}: {} {} is not a rank of this communicator (0..{})", op, what, r, size - 1));
}

void check_peer(const char* op, const char* what, int r, int rank, int size, bool self_ok, std::string_view backend) {
  if (r >= 0 && r < size && (self_ok || r != rank)) return;
  if (self_ok) check_rank(op, what, r, size);
  throw Error(fmt::format("{}: {} {} is not another rank of this communicator (0..{}, this rank is {}); the {} backend "
                          "sends nothing to its own rank, copy the buffer instead",
                          op, what, r, size - 1, rank, backend));
}

void check_reduction(const char* op, ReduceOp reduction, DataType dt, bool supported, std::string_view backend) {
  if (static_cast<unsigned>(reduction) > static_cast<unsigned>(ReduceOp::avg))
    throw Error(fmt::format("{}: reduction {} is not one of sum, prod, max, min, avg", op, static_cast<int>(reduction)));
  check_dtype(op, dt);
  if (!supported)
    throw Error(fmt::format("{}: the {} backend cannot reduce {} with {}; use another data type or reduction", op, backend,
                            to_string(dt), to_string(reduction)));
}

}  // namespace cairn::coll::detail
