// Deterministic per-rank test data and its check, in the manner of nccl-tests' verifiable
// data: every rank can compute every other rank's input, so each rank knows the exact
// result a collective must leave in its buffer without talking to anyone.
//
// Inputs are small integers (prod: 1 or 2), exactly representable in every dtype, so
// sums, maxima and minima are exact in f32/f64/integers and round only where a dtype's
// mantissa is short (f16 past 2048, bf16 past 256). The check allows the dtype's rounding
// (check_tolerance) and nothing more.
#pragma once

#include <cstddef>
#include <cstdint>

#include "collectives/backends/communicator.h"

namespace cairn::coll::bench {

// Element counts of one collective call, as nccl-tests' getCollByteCount gives them:
// the send and receive buffers, the count argument passed to the call, and where the
// in-place send and receive regions sit in the receive buffer (times the rank).
struct Counts {
  std::size_t send = 0;
  std::size_t recv = 0;
  std::size_t param = 0;
  std::size_t send_inplace_offset = 0;
  std::size_t recv_inplace_offset = 0;
};

// What a rank needs to know to produce any rank's input and its own expected output.
struct DataSpec {
  int rank = 0;
  int nranks = 1;
  int root = 0;
  DataType dtype = DataType::f32;
  ReduceOp op = ReduceOp::sum;
  std::uint64_t seed = 0;
  Counts counts;
};

// Element `index` of rank `rank`'s input (its send buffer) under spec's seed and op.
double input_value(const DataSpec& spec, int rank, std::size_t index);

// op applied to every rank's input element `index` (for avg: the sum divided by nranks).
double reduce_over_ranks(const DataSpec& spec, std::size_t index);

// Stores `value` as element i of a buffer of dtype dt: integers wrap like two's
// complement arithmetic (what a device's sum does on overflow), f16 and bf16 round to
// nearest even (collectives/half_float.h).
void store_value(DataType dt, void* buffer, std::size_t i, double value);
double load_value(DataType dt, const void* buffer, std::size_t i);

// The largest difference accepted between a reduction's result and the expected value
// (already rounded to the dtype). With inputs of magnitude <= kMaxInputMagnitude, every
// partial sum of n of them is an integer of magnitude <= 8n, exact while 8n fits the
// dtype's mantissa (2^p; p = 11 for f16, 8 for bf16, 24 for f32, 53 for f64); past
// that each of the n additions may round by 2^-p of 8n. Products of 1s and 2s, maxima and
// minima are exact. avg divides (or pre-multiplies by 1/n, as NCCL does for floats): n+1
// roundings of inputs <= 8 for floats, and +-1 for integers (truncation vs rounding).
inline constexpr double kMaxInputMagnitude = 8;
double check_tolerance(DataType dt, ReduceOp op, int nranks);

// Counts elements of `got` (count elements of spec.dtype) that differ from expected(i)
// by more than `tolerance`; expected() returns the exact (unrounded) value.
template <typename Expected>
std::int64_t count_wrong(const DataSpec& spec, double tolerance, const void* got,
                         std::size_t count, Expected&& expected);

// --- implementation of the template --------------------------------------------------

double round_to_dtype(DataType dt, double value);

template <typename Expected>
std::int64_t count_wrong(const DataSpec& spec, double tolerance, const void* got,
                         std::size_t count, Expected&& expected) {
  std::int64_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double want = round_to_dtype(spec.dtype, expected(i));
    const double have = load_value(spec.dtype, got, i);
    if (have == want) continue;  // also an overflowed product: inf == inf
    const double diff = have > want ? have - want : want - have;
    // NaN fails the comparison and counts as wrong.
    if (!(diff <= tolerance)) ++wrong;
  }
  return wrong;
}

}  // namespace cairn::coll::bench
