#include "tuner/run/workload.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "common/error.h"
#include "common/text_file.h"

namespace cairn::tuner {
namespace {

namespace bench = coll::bench;

constexpr const char* kWorkloadSchema = "cairn.workload";
constexpr int kWorkloadVersion = 1;
// A workload file lists the calls of a training step; more than this is not a workload.
constexpr std::size_t kMaxCells = 100000;

Cell make_cell(const std::string& collective, std::size_t bytes, coll::DataType dt, coll::ReduceOp op) {
  const bench::CollTest& test = bench::find_collective(collective);
  Cell c;
  c.collective = std::string(test.name);
  c.bytes = bytes;
  c.dtype = dt;
  c.op = test.reduces ? op : coll::ReduceOp::sum;
  return c;
}

std::string field_path(const std::string& source, std::size_t index, const char* field) {
  return fmt::format("{}: cells[{}].{}", source, index, field);
}

}  // namespace

std::vector<Cell> cells_from_sweep(const std::vector<const bench::CollTest*>& tests, const bench::SweepOptions& sweep) {
  std::vector<Cell> cells;
  for (const bench::CollTest* t : tests)
    for (coll::DataType dt : sweep.dtypes)
      for (coll::ReduceOp op : t->reduces ? sweep.ops : std::vector<coll::ReduceOp>{coll::ReduceOp::sum})
        for (std::size_t bytes : bench::sweep_sizes(sweep)) cells.push_back(make_cell(std::string(t->name), bytes, dt, op));
  normalise(cells);
  return cells;
}

std::vector<Cell> cells_from_bench_json(const Json& doc, const std::string& source) {
  if (json_field<std::string>(doc, "schema", source) != "cairn.bench")
    throw Error(fmt::format("{}: not a cairn bench --json result (schema cairn.bench)", source));
  const int version = json_field<int>(doc, "schema_version", source);
  if (version < 1 || version > 2)
    throw Error(fmt::format("{}: cairn.bench schema version {} is not one this cairn reads (1 or 2)", source, version));
  std::vector<Cell> cells;
  const Json collectives = json_field<Json>(doc, "collectives", source);
  if (!collectives.is_array()) throw_bad_field("collectives", source);
  for (const Json& c : collectives) {
    const std::string name = json_field<std::string>(c, "name", source);
    const Json results = json_field<Json>(c, "results", source);
    if (!results.is_array()) throw_bad_field("collectives[].results", source);
    for (const Json& row : results) {
      const std::string redop = json_field<std::string>(row, "redop", source);
      cells.push_back(make_cell(name, json_field<std::size_t>(row, "size", source),
                                coll::parse_dtype(json_field<std::string>(row, "type", source)),
                                redop == "none" ? coll::ReduceOp::sum : coll::parse_op(redop)));
    }
  }
  if (cells.empty()) throw Error(fmt::format("{}: the benchmark result has no rows to tune", source));
  normalise(cells);
  return cells;
}

std::vector<Cell> cells_from_workload_json(const Json& doc, const std::string& source) {
  require_schema(doc, kWorkloadSchema, kWorkloadVersion, source);
  const Json list = json_field<Json>(doc, "cells", source);
  if (!list.is_array()) throw_bad_field("cells", source);
  if (list.empty()) throw Error(fmt::format("{}: the workload lists no cells; give at least one", source));
  if (list.size() > kMaxCells)
    throw Error(fmt::format("{}: {} cells is more than a workload holds ({} at most)", source, list.size(), kMaxCells));
  std::vector<Cell> cells;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& c = list[i];
    const std::string collective = json_field<std::string>(c, "collective", field_path(source, i, "collective"));
    const auto bytes = json_field<std::size_t>(c, "bytes", field_path(source, i, "bytes"));
    const std::string dtype = c.contains("dtype") ? json_field<std::string>(c, "dtype", field_path(source, i, "dtype")) : "float";
    const std::string op = c.contains("op") ? json_field<std::string>(c, "op", field_path(source, i, "op")) : "sum";
    try {
      cells.push_back(make_cell(collective, bytes, coll::parse_dtype(dtype), coll::parse_op(op)));
    } catch (const Error& e) {
      throw Error(fmt::format("{}: cells[{}]: {}", source, i, e.what()));
    }
  }
  normalise(cells);
  return cells;
}

std::vector<Cell> read_cells_file(const std::string& path) {
  const Json doc = read_json_file(path);
  const std::string schema = doc.is_object() && doc.contains("schema") && doc["schema"].is_string()
                                 ? doc["schema"].get<std::string>()
                                 : "";
  if (schema == "cairn.bench") return cells_from_bench_json(doc, path);
  if (schema == kWorkloadSchema) return cells_from_workload_json(doc, path);
  throw Error(fmt::format("{}: not a workload: give a cairn.workload file (cairn plan --workload) or a cairn bench "
                          "--json result",
                          path));
}

Json workload_to_json(const std::vector<Cell>& cells) {
  Json list = Json::array();
  for (const Cell& c : cells)
    list.push_back({{"collective", c.collective},
                    {"bytes", c.bytes},
                    {"dtype", std::string(coll::to_string(c.dtype))},
                    {"op", std::string(coll::to_string(c.op))}});
  return with_schema({{"cells", list}}, kWorkloadSchema, kWorkloadVersion);
}

void normalise(std::vector<Cell>& cells) {
  auto tie = [](const Cell& c) { return std::tie(c.collective, c.dtype, c.op, c.bytes); };
  std::sort(cells.begin(), cells.end(), [&](const Cell& a, const Cell& b) { return tie(a) < tie(b); });
  cells.erase(std::unique(cells.begin(), cells.end(), [&](const Cell& a, const Cell& b) { return tie(a) == tie(b); }),
              cells.end());
}

void check_cells(const std::vector<Cell>& cells, int nranks) {
  // NCCL's tuner API sees the collective and the bytes of a call, not its type or
  // reduction: two cells that differ only there would be two answers to one question.
  std::map<std::pair<std::string, std::size_t>, const Cell*> seen;
  for (const Cell& c : cells) {
    const auto [it, fresh] = seen.emplace(std::make_pair(c.collective, c.bytes), &c);
    if (!fresh)
      throw Error(fmt::format("{} and {}: NCCL's tuner tells calls apart by collective and size only; tune one data "
                              "type and reduction per size (the ones the run uses)",
                              it->second->key(), c.key()));
  }
  // One rank has nothing to choose: NCCL runs a copy without asking any tuner
  // (enqueue.cc, ncclLaunchOneRank), and so does the host backend.
  if (nranks < 2)
    throw Error("a collective on one rank is a copy with nothing to tune; start 2 ranks or more with 'cairn launch "
                "-n N' (one per GPU), srun or mpirun");
  for (const Cell& c : cells) {
    const bench::CollTest& test = bench::find_collective(c.collective);
    if (!nccl_func_of(c.collective))
      throw Error(fmt::format("{}: {} is not tuned: NCCL's tuner API has no rule for it; tune all_reduce, "
                              "all_gather, reduce_scatter, broadcast or reduce",
                              c.key(), c.collective));
    if (nranks < test.min_ranks)
      throw Error(fmt::format("{}: needs {} ranks, this run has {}; start more with 'cairn launch -n N'", c.key(),
                              test.min_ranks, nranks));
    if (c.bytes < coll::dtype_size(c.dtype))
      throw Error(fmt::format("{}: {} bytes is less than one {} element; tune sizes of at least {} bytes", c.key(),
                              c.bytes, coll::to_string(c.dtype), coll::dtype_size(c.dtype)));
  }
}

}  // namespace cairn::tuner
