// One benchmarked collective = one CollTest: the hooks nccl-tests' testColl fills
// (src/<collective>.cu: getCollByteCount, initData, getBw, runColl), one file each
// (collectives/measure/harness/<collective>.cpp). The harness (harness.h) sweeps, times, checks and
// prints any of them; adding a collective never touches it.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "collectives/measure/harness/data.h"
#include "collectives/backends/communicator.h"

namespace cairn::coll::bench {

// alg_count_factor of a collective whose count is per call, not per rank.
inline int count_per_call(int) { return 1; }

struct CollTest {
  std::string_view name;       // as --op names it: "all_reduce"
  std::string_view perf_name;  // the nccl-tests binary it mirrors: "all_reduce_perf"
  bool reduces;                // takes -o; prints the op in the redop column, else "none"
  bool rooted;                 // takes -r; prints the root, else -1
  // false: the in-place column is timed but not checked ("N/A"), as nccl-tests does for
  // sendrecv, whose in-place form (send and receive in one buffer) is not defined.
  bool in_place_checked;
  // Ranks it needs: sendrecv's ring sends to another rank, so one rank alone cannot run it.
  int min_ranks = 1;

  // Element counts for a sweep size of `count` elements (nccl-tests' getCollByteCount).
  Counts (*counts)(std::size_t count, std::size_t elt_bytes, int nranks);

  // algbw = alg_bytes / time with alg_bytes = param count x elt size x this factor
  // (nccl-tests' getBw: 1, or nranks where the count is per rank); busbw = algbw x
  // bus_factor (doc/PERFORMANCE.md).
  int (*alg_count_factor)(int nranks) = count_per_call;
  double (*bus_factor)(int nranks);

  // The value element i of this rank's compared receive region must hold after the
  // call; `before` is what it held before (for ranks a collective does not write).
  // Every rank's send element j is input_value(spec, rank, j).
  double (*expected)(const DataSpec& spec, std::size_t i, double before);

  Request (*run)(Communicator& comm, const void* send, void* recv, const DataSpec& spec, Stream stream);
};

struct Bandwidth {
  double algbw_gb_s = 0;
  double busbw_gb_s = 0;
};

// nccl-tests' formulas: GB/s are 1e9 bytes per second.
Bandwidth bandwidth(const CollTest& test, std::size_t param_count, std::size_t elt_bytes, int nranks,
                    double seconds);

// nccl-tests rounds per-rank counts of the collectives that split the buffer across
// ranks down to a multiple of 16 bytes: (count / nranks) & ~(16 / elt - 1).
std::size_t per_rank_count(std::size_t count, std::size_t elt_bytes, int nranks);

extern const CollTest all_reduce_test;
extern const CollTest reduce_scatter_test;
extern const CollTest all_gather_test;
extern const CollTest broadcast_test;
extern const CollTest reduce_test;
extern const CollTest alltoall_test;
extern const CollTest sendrecv_test;

// In the order `--op all` runs them.
const std::vector<const CollTest*>& all_collectives();

// By --op name ("all_reduce"; nccl-tests' "all_reduce_perf" too). Throws cairn::Error
// listing the names.
const CollTest& find_collective(std::string_view name);

}  // namespace cairn::coll::bench
