// Argument checks every Communicator operation makes before any backend sees it (the
// idea of NCCL's argcheck.cc): each throws a one-line cairn::Error naming the operation,
// the argument and what would be valid.
#pragma once

#include <cstddef>
#include <string_view>

#include "collectives/backends/dtype.h"

namespace cairn::coll::detail {

// A buffer an operation reads or writes must not be null while it has elements.
void check_buffer(const char* op, const char* which, const void* buf, std::size_t count);

// count elements of dt, times `blocks` (size() for the gathered and scattered
// operations), must fit in size_t bytes; returns the bytes (count * size * blocks).
std::size_t check_bytes(const char* op, std::size_t count, DataType dt, std::size_t blocks = 1);

// `r` (named by `what`: "root", "peer") must be a rank of a `size`-rank communicator.
void check_rank(const char* op, const char* what, int r, int size);
// A point-to-point peer: a rank, and another one unless the backend `self_ok`.
void check_peer(const char* op, const char* what, int r, int rank, int size, bool self_ok, std::string_view backend);

// dt and reduction must be ones this build knows (a value cast from a bad integer is
// caught here), and `supported` says whether the backend can do them.
void check_reduction(const char* op, ReduceOp reduction, DataType dt, bool supported, std::string_view backend);
void check_dtype(const char* op, DataType dt);

}  // namespace cairn::coll::detail
