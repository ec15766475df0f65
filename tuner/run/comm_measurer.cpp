#include "tuner/run/comm_measurer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "collectives/measure/harness/collective.h"
#include "collectives/measure/harness/harness.h"
#include "common/error.h"

namespace cairn::tuner {
namespace {

namespace bench = coll::bench;

bench::DataSpec spec_for(const Cell& cell, const coll::Communicator& comm) {
  const bench::CollTest& test = bench::find_collective(cell.collective);
  bench::DataSpec spec;
  spec.rank = comm.rank();
  spec.nranks = comm.size();
  spec.root = 0;
  spec.dtype = cell.dtype;
  spec.op = cell.op;
  const std::size_t elt = coll::dtype_size(cell.dtype);
  spec.counts = test.counts(cell.bytes / elt, elt, comm.size());
  return spec;
}

}  // namespace

struct CommMeasurer::Buffers {
  bench::Buffer send, recv, scalar;
};

CommMeasurer::CommMeasurer(Applier& applier, bench::Memory& memory, std::size_t max_bytes, int nnodes,
                           TimingOptions options)
    : applier_(applier), memory_(memory), nnodes_(nnodes), options_(options), buffers_(std::make_unique<Buffers>()) {
  const std::size_t bytes = std::max<std::size_t>(max_bytes, 16);
  buffers_->send = bench::Buffer(memory, bytes);
  buffers_->recv = bench::Buffer(memory, bytes);
  buffers_->scalar = bench::Buffer(memory, sizeof(double));
  // Zeros, not whatever the allocator left: garbage may hold denormals or NaNs, which slow
  // a host reduction down (the harness does the same).
  std::vector<char> zeros(bytes, 0);
  memory.upload(buffers_->send.data(), zeros.data(), bytes);
  memory.upload(buffers_->recv.data(), zeros.data(), bytes);
}

CommMeasurer::~CommMeasurer() = default;

int CommMeasurer::nranks() const { return applier_.base().size(); }

// Seconds per call of `iters` back-to-back calls, averaged over ranks (collective).
double CommMeasurer::time_run(coll::Communicator& comm, const Cell& cell, int iters, const Candidate* c) {
  const bench::CollTest& test = bench::find_collective(cell.collective);
  const bench::DataSpec spec = spec_for(cell, comm);
  void* send = buffers_->send.data();
  void* recv = buffers_->recv.data();
  if (c) applier_.arm(*c, cell);
  {
    std::vector<coll::Request> warm;
    for (int i = 0; i < options_.warmup_calls; ++i) warm.push_back(test.run(comm, send, recv, spec, memory_.stream()));
    for (coll::Request& r : warm) r.wait();
  }
  if (c) applier_.disarm();
  comm.barrier(memory_.stream()).wait();
  std::unique_ptr<bench::Timer> timer = memory_.make_timer();
  std::vector<coll::Request> pending;
  pending.reserve(static_cast<std::size_t>(iters));
  if (c) applier_.arm(*c, cell);
  timer->start();
  for (int i = 0; i < iters; ++i) pending.push_back(test.run(comm, send, recv, spec, memory_.stream()));
  timer->stop_after(pending);
  if (c) applier_.disarm();
  double seconds = timer->seconds() / iters;
  memory_.upload(buffers_->scalar.data(), &seconds, sizeof seconds);
  comm.all_reduce(buffers_->scalar.data(), buffers_->scalar.data(), 1, coll::DataType::f64, coll::ReduceOp::sum,
                  memory_.stream())
      .wait();
  memory_.download(&seconds, buffers_->scalar.data(), sizeof seconds);
  return seconds / comm.size();
}

int CommMeasurer::iters_for(const Cell& cell) {
  auto it = iters_.find(cell.key());
  if (it != iters_.end()) return it->second;
  applier_.reset();
  // Every rank gets the same average, so every rank picks the same count.
  const double one = time_run(applier_.base(), cell, 1, nullptr);
  const double want = options_.target_run_seconds / std::max(one, 1e-9);
  const int iters = static_cast<int>(std::clamp(std::ceil(want), 1.0, static_cast<double>(options_.max_iters)));
  iters_[cell.key()] = iters;
  return iters;
}

std::vector<std::vector<double>> CommMeasurer::measure(const Cell& cell, std::span<const Candidate* const> candidates,
                                                       int rounds) {
  if (cell.bytes > buffers_->send.bytes())
    throw Error(fmt::format("{}: larger than the {} bytes the sweep allocated", cell.key(), buffers_->send.bytes()));
  const int iters = iters_for(cell);
  const std::size_t n = candidates.size();
  std::vector<std::vector<double>> times(n);
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t k = 0; k < n; ++k) {
      // Rotated order: A B C, B C A, C A B, ... so no candidate always runs first.
      const std::size_t i = (k + static_cast<std::size_t>(r)) % n;
      const Candidate& c = *candidates[i];
      coll::Communicator& comm = applier_.apply(c);
      const double us = time_run(comm, cell, iters, &c) * 1e6;
      times[i].push_back(applier_.honoured(c) ? us : std::numeric_limits<double>::infinity());
    }
  }
  applier_.reset();
  return times;
}

std::int64_t CommMeasurer::check(const Cell& cell, const Candidate& c) {
  bench::SweepOptions o;
  o.min_bytes = o.max_bytes = cell.bytes;
  o.iters = 1;
  o.warmup_iters = 0;
  o.check_iters = 1;
  o.dtypes = {cell.dtype};
  o.ops = {cell.op};
  coll::Communicator& comm = applier_.apply(c);
  // Armed for the whole check: its data uploads and count reductions run between the
  // checked calls, and a forced choice that NCCL cannot apply to them falls back to NCCL's.
  applier_.arm(c, cell);
  const bench::CollectiveReport report =
      bench::run_collective(comm, memory_, bench::find_collective(cell.collective), o, nullptr);
  applier_.disarm();
  applier_.reset();
  std::int64_t wrong = 0;
  for (const bench::Row& row : report.rows) wrong += row.out_of_place.wrong.value_or(0) + row.in_place.wrong.value_or(0);
  return wrong;
}

double busbw_gb_s(const Cell& cell, double time_us, int nranks) {
  if (!(time_us > 0) || !std::isfinite(time_us)) return 0;
  const bench::CollTest& test = bench::find_collective(cell.collective);
  const std::size_t elt = coll::dtype_size(cell.dtype);
  const bench::Counts counts = test.counts(cell.bytes / elt, elt, nranks);
  return bench::bandwidth(test, counts.param, elt, nranks, time_us * 1e-6).busbw_gb_s;
}

}  // namespace cairn::tuner
