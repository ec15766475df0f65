// reduce_scatter: rank k ends with block k of op over all ranks' buffers (nccl-tests
// reduce_scatter.cu). The count argument is per rank; the in-place result sits at block
// `rank` of the full-size buffer.
#include "collectives/measure/harness/collective.h"

namespace cairn::coll::bench {
namespace {

Counts counts(std::size_t count, std::size_t elt, int n) {
  const std::size_t base = per_rank_count(count, elt, n);
  return {base * static_cast<std::size_t>(n), base, base, 0, base};
}

// The addition half of all_reduce: (n-1)/n of the total array S = recv count x n.
double bus_factor(int n) { return static_cast<double>(n - 1) / n; }

double expected(const DataSpec& spec, std::size_t i, double) {
  return reduce_over_ranks(spec, static_cast<std::size_t>(spec.rank) * spec.counts.param + i);
}

Request run(Communicator& comm, const void* send, void* recv, const DataSpec& spec, Stream stream) {
  return comm.reduce_scatter(send, recv, spec.counts.param, spec.dtype, spec.op, stream);
}

}  // namespace

const CollTest reduce_scatter_test{.name = "reduce_scatter", .perf_name = "reduce_scatter_perf",
                                   .reduces = true, .rooted = false, .in_place_checked = true,
                                   .counts = counts, .alg_count_factor = [](int n) { return n; }, .bus_factor = bus_factor,
                                   .expected = expected, .run = run};

}  // namespace cairn::coll::bench
