// alltoall: block j of rank r's send buffer ends as block r of rank j's receive buffer
// (nccl-tests alltoall.cu). The count argument is per peer.
#include "collectives/measure/harness/collective.h"

namespace cairn::coll::bench {
namespace {

Counts counts(std::size_t count, std::size_t elt, int n) {
  const std::size_t per_peer = per_rank_count(count, elt, n);
  const std::size_t total = per_peer * static_cast<std::size_t>(n);
  return {total, total, per_peer, 0, 0};
}

// Each rank keeps 1/n of its data and sends the rest: (n-1)/n (PERFORMANCE.md).
double bus_factor(int n) { return static_cast<double>(n - 1) / n; }

double expected(const DataSpec& spec, std::size_t i, double) {
  const std::size_t block = spec.counts.param;
  return input_value(spec, static_cast<int>(i / block), static_cast<std::size_t>(spec.rank) * block + i % block);
}

Request run(Communicator& comm, const void* send, void* recv, const DataSpec& spec, Stream stream) {
  return comm.alltoall(send, recv, spec.counts.param, spec.dtype, stream);
}

}  // namespace

const CollTest alltoall_test{.name = "alltoall", .perf_name = "alltoall_perf",
                             .reduces = false, .rooted = false, .in_place_checked = true,
                             .counts = counts, .alg_count_factor = [](int n) { return n; }, .bus_factor = bus_factor,
                             .expected = expected, .run = run};

}  // namespace cairn::coll::bench
