// reduce: the root ends with op over all ranks' buffers; the other ranks' receive
// buffers stay as they were (nccl-tests reduce.cu checks that too).
#include "collectives/measure/harness/collective.h"

namespace cairn::coll::bench {
namespace {

Counts counts(std::size_t count, std::size_t, int) { return {count, count, count, 0, 0}; }

// All data enters the root through its one link: busbw = algbw (PERFORMANCE.md).
double bus_factor(int) { return 1.0; }

double expected(const DataSpec& spec, std::size_t i, double before) {
  return spec.rank == spec.root ? reduce_over_ranks(spec, i) : before;
}

Request run(Communicator& comm, const void* send, void* recv, const DataSpec& spec, Stream stream) {
  return comm.reduce(send, recv, spec.counts.param, spec.dtype, spec.op, spec.root, stream);
}

}  // namespace

const CollTest reduce_test{.name = "reduce", .perf_name = "reduce_perf",
                           .reduces = true, .rooted = true, .in_place_checked = true,
                           .counts = counts, .bus_factor = bus_factor,
                           .expected = expected, .run = run};

}  // namespace cairn::coll::bench
