// all_reduce: every rank ends with op over all ranks' buffers (nccl-tests all_reduce.cu).
#include "collectives/measure/harness/collective.h"

namespace cairn::coll::bench {
namespace {

Counts counts(std::size_t count, std::size_t, int) { return {count, count, count, 0, 0}; }

// 2(n-1) transfers of each element over n links (PERFORMANCE.md, AllReduce).
double bus_factor(int n) { return 2.0 * (n - 1) / n; }

double expected(const DataSpec& spec, std::size_t i, double) { return reduce_over_ranks(spec, i); }

Request run(Communicator& comm, const void* send, void* recv, const DataSpec& spec, Stream stream) {
  return comm.all_reduce(send, recv, spec.counts.param, spec.dtype, spec.op, stream);
}

}  // namespace

const CollTest all_reduce_test{.name = "all_reduce", .perf_name = "all_reduce_perf",
                               .reduces = true, .rooted = false, .in_place_checked = true,
                               .counts = counts, .bus_factor = bus_factor,
                               .expected = expected, .run = run};

}  // namespace cairn::coll::bench
