// Names of data types, reduction ops and host algorithms: Cairn's short spellings and
// the nccl-tests ones (-d float, -o sum), so `cairn bench` accepts what users type there.
#include <array>
#include <string>
#include <utility>

#include "collectives/backends/communicator.h"
#include "common/error.h"

namespace cairn::coll {
namespace {

struct DtypeName {
  DataType type;
  std::string_view cairn;
  std::string_view nccl;
};
constexpr std::array<DtypeName, 7> kDtypes{{
    {DataType::f32, "f32", "float"},
    {DataType::f16, "f16", "half"},
    {DataType::bf16, "bf16", "bfloat16"},
    {DataType::f64, "f64", "double"},
    {DataType::i32, "i32", "int32"},
    {DataType::i64, "i64", "int64"},
    {DataType::u8, "u8", "uint8"},
}};
// Further spellings nccl-tests and PyTorch users write.
constexpr std::array<std::pair<std::string_view, DataType>, 4> kDtypeAliases{{
    {"float32", DataType::f32},
    {"float16", DataType::f16},
    {"float64", DataType::f64},
    {"int", DataType::i32},
}};

constexpr std::array<std::pair<ReduceOp, std::string_view>, 5> kOps{{
    {ReduceOp::sum, "sum"},
    {ReduceOp::prod, "prod"},
    {ReduceOp::max, "max"},
    {ReduceOp::min, "min"},
    {ReduceOp::avg, "avg"},
}};

constexpr std::array<std::pair<Algorithm, std::string_view>, 4> kAlgorithms{{
    {Algorithm::automatic, "auto"},
    {Algorithm::ring, "ring"},
    {Algorithm::tree, "tree"},
    {Algorithm::rhd, "rhd"},
}};

template <typename Table>
std::string names_of(const Table& table) {
  std::string out;
  for (const auto& [value, name] : table) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

}  // namespace

std::size_t dtype_size(DataType t) {
  switch (t) {
    case DataType::f32:
    case DataType::i32: return 4;
    case DataType::f16:
    case DataType::bf16: return 2;
    case DataType::f64:
    case DataType::i64: return 8;
    case DataType::u8: return 1;
  }
  throw Error("unknown data type " + std::to_string(static_cast<int>(t)));
}

std::string_view to_string(DataType t) {
  for (const auto& d : kDtypes)
    if (d.type == t) return d.cairn;
  return "unknown";
}

std::string_view to_string(ReduceOp op) {
  for (const auto& [value, name] : kOps)
    if (value == op) return name;
  return "unknown";
}

std::string_view to_string(Algorithm a) {
  for (const auto& [value, name] : kAlgorithms)
    if (value == a) return name;
  return "unknown";
}

DataType parse_dtype(std::string_view s) {
  for (const auto& d : kDtypes)
    if (s == d.cairn || s == d.nccl) return d.type;
  for (const auto& [name, type] : kDtypeAliases)
    if (s == name) return type;
  std::string valid;
  for (const auto& d : kDtypes) valid += (valid.empty() ? "" : ", ") + std::string(d.cairn) + "/" + std::string(d.nccl);
  throw Error("unknown data type '" + std::string(s) + "': use one of " + valid +
              (s == "int8" ? " (nccl-tests' int8 is signed; Cairn has only uint8)" : ""));
}

ReduceOp parse_op(std::string_view s) {
  for (const auto& [value, name] : kOps)
    if (s == name) return value;
  throw Error("unknown reduction op '" + std::string(s) + "': use one of " + names_of(kOps));
}

Algorithm parse_algorithm(std::string_view s) {
  for (const auto& [value, name] : kAlgorithms)
    if (s == name) return value;
  if (s == "automatic") return Algorithm::automatic;
  if (s == "double_binary_tree" || s == "dbtree") return Algorithm::tree;
  if (s == "rabenseifner" || s == "recursive_halving_doubling") return Algorithm::rhd;
  throw Error("unknown algorithm '" + std::string(s) + "': use one of " + names_of(kAlgorithms));
}

}  // namespace cairn::coll
