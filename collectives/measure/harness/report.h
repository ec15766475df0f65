// How `cairn bench` prints: the table in nccl-tests' layout (src/util.cu's
// writeResultHeader, writeBenchmarkLinePreamble, writeBenchmarkLineBody,
// writeResultFooter), byte for byte in the data lines so a user can diff against
// all_reduce_perf, and the same as JSON (schema "cairn.bench" v2: v1 and the host algorithm
// config and environment in effect).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "collectives/measure/harness/harness.h"
#include "collectives/measure/harness/options.h"
#include "collectives/backends/communicator.h"
#include "common/env_knobs.h"
#include "common/json_io.h"

namespace cairn::coll::bench {

inline constexpr const char* kBenchSchema = "cairn.bench";
inline constexpr int kBenchSchemaVersion = 2;

// What the preamble reports about the run.
struct RunInfo {
  std::string tool_line;  // "cairn bench 0.1.0 backend nccl nccl-library=22809"
  std::string backend;    // "ucx", "nccl"
  int nranks = 1;
  SweepOptions options;
  std::vector<std::string> devices;  // one line per rank, in rank order
  std::vector<SkippedCollective> skipped;  // what --op all could not run with this many ranks
  // What the result records about how it ran: the host backend's algorithm knobs (the
  // defaults unless set), and the NCCL_*, UCX_* and Cairn knob variables of this process.
  AlgoConfig algo;
  env::Vars environment = env::recorded_environment();
};

// The host backend's algorithm knobs as results record them, defaults filled in:
// {"algorithm", "chunk_bytes", "pipeline_depth", "channels"}.
Json host_algo_config_json(const AlgoConfig& c);

// nccl-tests' names: "float", "half", "bfloat16", "double", "int32", "int64", "uint8";
// "sum", "prod", "max", "min", "avg".
std::string_view nccl_tests_name(DataType dt);
std::string_view nccl_tests_name(ReduceOp op);

// A number in at most `width` characters as nccl-tests' getFloatStr writes it: two
// decimals, else one, else none, else exponent notation.
std::string format_float(double value, int width);

// Ends with a "# Skipped <perf_name>: <reason>" line per skipped collective.
std::string preamble(const RunInfo& info);
std::string header_lines();
std::string format_row(const Row& row);
std::string footer_lines(const CollectiveReport& report);

// Prints each collective's table as the harness measures it.
class TableSink final : public RowSink {
 public:
  explicit TableSink(std::ostream& os) : os_(os) {}
  void begin(const CollTest& test) override;
  void row(const Row& row) override;
  void end(const CollectiveReport& report) override;

 private:
  std::ostream& os_;
};

// "skipped": [{"name", "reason"}] lists what was not run (empty when everything was).
Json to_json(const RunInfo& info, const std::vector<CollectiveReport>& reports);

}  // namespace cairn::coll::bench
