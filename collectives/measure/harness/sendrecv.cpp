// sendrecv: every rank sends its buffer to rank + 1 and receives from rank - 1, both at
// once (nccl-tests sendrecv.cu's ring).
#include "collectives/measure/harness/collective.h"

namespace cairn::coll::bench {
namespace {

Counts counts(std::size_t count, std::size_t, int) { return {count, count, count, 0, 0}; }

// Point to point: busbw = algbw.
double bus_factor(int) { return 1.0; }

double expected(const DataSpec& spec, std::size_t i, double) {
  return input_value(spec, (spec.rank - 1 + spec.nranks) % spec.nranks, i);
}

Request run(Communicator& comm, const void* send, void* recv, const DataSpec& spec, Stream stream) {
  const int n = spec.nranks;
  const std::size_t count = spec.counts.param;
  return comm.send_recv(send, count, (spec.rank + 1) % n, recv, count, (spec.rank - 1 + n) % n, spec.dtype,
                        stream);
}

}  // namespace

const CollTest sendrecv_test{.name = "sendrecv", .perf_name = "sendrecv_perf",
                             .reduces = false, .rooted = false, .in_place_checked = false, .min_ranks = 2,
                             .counts = counts, .bus_factor = bus_factor,
                             .expected = expected, .run = run};

}  // namespace cairn::coll::bench
