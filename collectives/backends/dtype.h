// Element types, reductions and memory kinds of the Communicator's operations, with
// their names (dtype.cpp).
#pragma once

#include <cstddef>
#include <string_view>

namespace cairn::coll {

enum class DataType { f32, f16, bf16, f64, i32, i64, u8 };
enum class ReduceOp { sum, prod, max, min, avg };
enum class MemoryKind { host, device };

std::size_t dtype_size(DataType t);
std::string_view to_string(DataType t);
std::string_view to_string(ReduceOp op);
// Parse nccl-tests spellings ("float", "half", "bfloat16", "double", "int32", "int64",
// "uint8") and Cairn's ("f32", "f16", "bf16", "f64", "i32", "i64", "u8"). Throws
// cairn::Error listing the valid names.
DataType parse_dtype(std::string_view s);
ReduceOp parse_op(std::string_view s);

}  // namespace cairn::coll
