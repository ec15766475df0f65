// all_gather: every rank ends with all ranks' buffers in rank order (nccl-tests
// all_gather.cu). The count argument is per rank; in place, a rank's input sits at block
// `rank` of the receive buffer.
#include "collectives/measure/harness/collective.h"

namespace cairn::coll::bench {
namespace {

Counts counts(std::size_t count, std::size_t elt, int n) {
  const std::size_t base = per_rank_count(count, elt, n);
  return {base, base * static_cast<std::size_t>(n), base, base, 0};
}

// The assignment half of all_reduce: (n-1)/n of the total array S = send count x n.
double bus_factor(int n) { return static_cast<double>(n - 1) / n; }

double expected(const DataSpec& spec, std::size_t i, double) {
  const std::size_t block = spec.counts.param;
  return input_value(spec, static_cast<int>(i / block), i % block);
}

Request run(Communicator& comm, const void* send, void* recv, const DataSpec& spec, Stream stream) {
  return comm.all_gather(send, recv, spec.counts.param, spec.dtype, stream);
}

}  // namespace

const CollTest all_gather_test{.name = "all_gather", .perf_name = "all_gather_perf",
                               .reduces = false, .rooted = false, .in_place_checked = true,
                               .counts = counts, .alg_count_factor = [](int n) { return n; }, .bus_factor = bus_factor,
                               .expected = expected, .run = run};

}  // namespace cairn::coll::bench
