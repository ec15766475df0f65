// broadcast: every rank ends with the root's buffer (nccl-tests broadcast.cu).
#include "collectives/measure/harness/collective.h"

namespace cairn::coll::bench {
namespace {

Counts counts(std::size_t count, std::size_t, int) { return {count, count, count, 0, 0}; }

// All data leaves the root through its one link: busbw = algbw (PERFORMANCE.md).
double bus_factor(int) { return 1.0; }

double expected(const DataSpec& spec, std::size_t i, double) { return input_value(spec, spec.root, i); }

Request run(Communicator& comm, const void* send, void* recv, const DataSpec& spec, Stream stream) {
  return comm.broadcast(send, recv, spec.counts.param, spec.dtype, spec.root, stream);
}

}  // namespace

const CollTest broadcast_test{.name = "broadcast", .perf_name = "broadcast_perf",
                              .reduces = false, .rooted = true, .in_place_checked = true,
                              .counts = counts, .bus_factor = bus_factor,
                              .expected = expected, .run = run};

}  // namespace cairn::coll::bench
