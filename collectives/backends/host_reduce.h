// Reductions on host memory: the UCX backend's arithmetic and the CPU reference for the
// GPU kernels. Loops are written for the vectoriser (restrict pointers, no branches in
// the body); f16 and bf16 are widened to f32, combined, and rounded back to nearest even.
//
// Integer sum and prod wrap modulo 2^bits as NCCL's do (computed in the unsigned type,
// so overflow is defined). avg reduces as sum; the caller divides once by the rank count
// with finish_avg() (integers: C++ division, truncating toward zero, as NCCL).
#pragma once

#include <cstddef>

#include "collectives/backends/communicator.h"

namespace cairn::coll {

// dst[i] = op(dst[i], src[i]) for i < count. dst and src must not overlap.
void reduce_into(void* dst, const void* src, std::size_t count, DataType dt, ReduceOp op);

// dst[i] = op(a[i], b[i]). dst may be a (exactly) but must not partially overlap a or b.
void reduce_to(void* dst, const void* a, const void* b, std::size_t count, DataType dt,
               ReduceOp op);

// buf[i] /= ranks: the last step of ReduceOp::avg (nothing for other ops).
void finish_avg(void* buf, std::size_t count, DataType dt, ReduceOp op, int ranks);

}  // namespace cairn::coll
