// The Measurer on a real communicator: times each candidate of a cell with nccl-tests'
// method (warm-up, barrier, `iters` back-to-back calls, the span over the calls, the
// per-call time averaged over ranks as bench -a 1 does), interleaved across candidates
// round by round so that drift (other jobs, clocks, thermals) hits every candidate alike
// (Hoefler & Belli, SC'15, rule 9: interleave the measured configurations).
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "collectives/measure/memory.h"
#include "tuner/run/applier.h"
#include "tuner/search/candidate.h"

namespace cairn::tuner {

struct TimingOptions {
  // Calls per timed run are chosen per cell so one run lasts about this long (measured on
  // the default candidate, agreed by every rank), within [1, max_iters].
  double target_run_seconds = 0.004;
  int max_iters = 2000;
  int warmup_calls = 2;
};

class CommMeasurer final : public Measurer {
 public:
  // Buffers for cells up to `max_bytes` come from `memory` (matching the applier's
  // communicator). `nnodes` is the number of hosts the ranks run on.
  CommMeasurer(Applier& applier, coll::bench::Memory& memory, std::size_t max_bytes, int nnodes,
               TimingOptions options = {});
  ~CommMeasurer() override;

  std::vector<std::vector<double>> measure(const Cell& cell, std::span<const Candidate* const> candidates,
                                           int rounds) override;
  int nranks() const override;
  int nnodes() const override { return nnodes_; }

  // Runs `c` once on `cell` with data and checks the result (nccl-tests' check):
  // the number of wrong elements summed over ranks. Collective.
  std::int64_t check(const Cell& cell, const Candidate& c);

 private:
  struct Buffers;
  double time_run(coll::Communicator& comm, const Cell& cell, int iters, const Candidate* c);
  int iters_for(const Cell& cell);

  Applier& applier_;
  coll::bench::Memory& memory_;
  int nnodes_;
  TimingOptions options_;
  std::unique_ptr<Buffers> buffers_;
  std::map<std::string, int> iters_;  // by cell key
};

// NCCL-tests' bus bandwidth of a cell at `time_us` per call on `nranks` ranks (GB/s).
double busbw_gb_s(const Cell& cell, double time_us, int nranks);

}  // namespace cairn::tuner
