// What `cairn train` prints, on the printing rank only: where the run starts, the
// header and the table of steps, each checkpoint, and the summary at the end.
#pragma once

#include <cstdint>
#include <string>

#include "collectives/backends/communicator.h"
#include "train/checkpoint_policy.h"
#include "train/hooks.h"
#include "train/run.h"

namespace cairn::train {

class ProgressPrinter {
 public:
  // Prints nothing unless `printing`.
  ProgressPrinter(bool printing, std::int64_t log_every) : printing_(printing), log_every_(log_every) {}

  // A warning (stderr) for a checkpoint passed over on the way to the resume point.
  void passed_over(const std::string& why) const;
  // "resuming from ..." (or that there was nothing to resume).
  void starting_point(const StartingPoint& s, const CheckpointOptions& o, std::int64_t steps) const;
  // What the run needs of memory and what there is (train/memory_plan.h), one line.
  void memory(const std::string& summary) const;
  // The model, the data, the batch and the device, then the table's head.
  void header(const Trainer& t, const TokenShard& shard, const coll::Communicator* comm) const;
  // A row every log_every steps, and for the first and the last.
  void step(const StepResult& r, std::int64_t total_steps) const;
  void checkpoint(const CheckpointWritten& c) const;
  // A line of the run's own (stdout): the automatic checkpoint interval changed.
  void note(const std::string& line) const;
  void summary(const RunResult& r) const;
  void eval(double loss, std::int64_t batches) const;

 private:
  bool printing_;
  std::int64_t log_every_;
};

}  // namespace cairn::train
