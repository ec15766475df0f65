// Parsers for nccl-tests' flag values, shared by `cairn bench` and its tests: sizes with
// binary suffixes (-b 8, -e 1G), data type lists (-d float, -d all), reduction lists
// (-o sum, -o all) and collective lists (--op all_reduce, --op all).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/measure/harness/collective.h"
#include "common/byte_size.h"
#include "collectives/backends/communicator.h"

namespace cairn::coll::bench {

// Sizes with K/M/G suffixes (-b 8, -e 1G): common/byte_size.h, shared with `probe storage`.
using ::cairn::parse_size;

// One name (nccl-tests' or Cairn's spelling) or "all": uint8 int32 int64 half float
// double bfloat16, in nccl-tests' order.
std::vector<DataType> parse_dtypes(std::string_view text);

// One of sum prod max min avg, or "all" (those five).
std::vector<ReduceOp> parse_ops(std::string_view text);

// One collective name (all_reduce, reduce_scatter, all_gather, broadcast, reduce,
// alltoall, sendrecv; nccl-tests' binary names too), a comma-separated list, or "all".
std::vector<const CollTest*> parse_collectives(std::string_view text);

// A collective `--op all` left out, and why ("needs at least 2 ranks, this run has 1").
struct SkippedCollective {
  const CollTest* test = nullptr;
  std::string reason;
};

struct CollectiveSelection {
  std::vector<const CollTest*> run;
  std::vector<SkippedCollective> skipped;
};

// Which of `tests` a run of `nranks` ranks can measure. With `all` (--op all) those that
// need more ranks are skipped with the reason; one the user named throws cairn::Error
// saying how many ranks to start.
CollectiveSelection select_for_ranks(const std::vector<const CollTest*>& tests, int nranks, bool all);

}  // namespace cairn::coll::bench
