// The measurement harness shared by every collective (nccl-tests' common.cu): sweep the
// sizes, warm up, time `iters` calls between two barriers, combine the time across ranks,
// check the data, and hand each row to a sink as it is measured.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collectives/measure/harness/collective.h"
#include "collectives/measure/memory.h"
#include "collectives/backends/communicator.h"

namespace cairn::coll::bench {

// nccl-tests' sweep flags, with its defaults.
struct SweepOptions {
  std::size_t min_bytes = 32u << 20;   // -b
  std::size_t max_bytes = 32u << 20;   // -e
  std::size_t step_bytes = 1u << 20;   // -i (used when step_factor is 1)
  std::size_t step_factor = 1;         // -f
  int iters = 20;                      // -n
  int warmup_iters = 1;                // -w
  int check_iters = 1;                 // -c: data checks per size (0: none)
  std::vector<ReduceOp> ops{ReduceOp::sum};        // -o
  std::vector<DataType> dtypes{DataType::f32};     // -d
  int root = 0;                        // -r
  int average = 1;                     // -a: time across ranks: 0 rank 0's, 1 mean, 2 min, 3 max
  bool blocking = false;               // -z: wait (and barrier) after every call
};

// The sizes a sweep visits, in bytes: min, then x step_factor (or + step_bytes) up to max.
// Throws cairn::Error naming the flag when min > max or the sweep would never advance.
std::vector<std::size_t> sweep_sizes(const SweepOptions& options);

struct Measurement {
  double time_us = 0;
  double algbw_gb_s = 0;
  double busbw_gb_s = 0;
  std::optional<std::int64_t> wrong;  // summed over ranks; nullopt: not checked (-c 0)
};

struct Row {
  std::size_t size_bytes = 0;  // max(send, recv) bytes per rank, as nccl-tests prints
  std::size_t count = 0;       // the count argument of the call
  DataType dtype = DataType::f32;
  std::optional<ReduceOp> op;  // none for collectives that do not reduce
  int root = -1;               // -1 for collectives without a root
  Measurement out_of_place;
  Measurement in_place;
};

struct CollectiveReport {
  const CollTest* test = nullptr;
  std::vector<Row> rows;
  int out_of_bounds = 0;       // measurements with a wrong element (nccl-tests' count)
  double avg_busbw_gb_s = 0;   // mean busbw over every measurement, both columns
};

// Receives rows as they are measured (rank 0 prints them; a long sweep shows progress).
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void begin(const CollTest& test) = 0;
  virtual void row(const Row& row) = 0;
  virtual void end(const CollectiveReport& report) = 0;
};

// Runs one collective's sweep on every rank (collective over comm; every rank passes the
// same options). `sink` may be null (ranks other than 0). Buffers come from `memory`,
// which must match comm.memory().
CollectiveReport run_collective(Communicator& comm, Memory& memory, const CollTest& test,
                                const SweepOptions& options, RowSink* sink);

// Every rank's one-line description in rank order, gathered through comm (for the
// "# Using devices" block). Collective.
std::vector<std::string> gather_lines(Communicator& comm, Memory& memory, const std::string& line);

}  // namespace cairn::coll::bench
