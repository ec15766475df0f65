// When a run reads and writes its checkpoints (docs/checkpoint-format.md), as
// `cairn train --checkpoint-dir / --checkpoint-every / --keep-checkpoints / --resume /
// --loss-log` asks: the state it starts from, which steps end with a checkpoint, who
// writes it (rank 0, for every rank: their states are identical), how many stay, and
// the per-step loss log. Every rank resumes from the same file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "train/checkpoint_dir.h"
#include "train/hooks.h"
#include "train/loss_log.h"
#include "train/trainer.h"

namespace cairn::train {

struct CheckpointOptions {
  std::string dir;       // empty: no checkpoints
  std::string loss_log;  // empty: no loss log
  std::int64_t every = 0;  // 0: only at the end of the run
  int keep = kDefaultKeepCheckpoints;
  bool resume = false;
};

// Throws cairn::Error naming the flag unless every >= 0, keep >= 1, and --resume or
// --checkpoint-every come with a directory.
void check_checkpoint_options(const CheckpointOptions& o);

struct StartingPoint {
  TrainState state;
  std::string resumed_from;         // the checkpoint resumed; empty: step 0
  bool nothing_to_resume = false;   // --resume found no checkpoint yet: step 0
  std::vector<std::string> passed_over;  // why each newer checkpoint or leftover was skipped
};

// Where the run starts: with resume the newest whole checkpoint in the directory (noting
// each one it passed over), else step 0. A fresh run refuses a directory that already
// holds checkpoints, so one directory is one run. Only rank 0 tidies the directory
// (moves damaged files aside); the others read the same files and touch nothing.
// on_passed_over hears of each file passed over as it happens, so a resume that then
// fails (a checkpoint of other settings) has still said what it skipped.
StartingPoint starting_point(const CheckpointOptions& o, const TrainConfig& cfg, int rank, int world,
                             const std::function<void(const std::string& why)>& on_passed_over = {});

// Whether the run checkpoints after `steps_taken` of `total_steps`: every o.every steps
// and at the last step, whenever it has a directory.
bool checkpoint_due(const CheckpointOptions& o, std::int64_t steps_taken, std::int64_t total_steps);

// After every step: the loss log line, and when a checkpoint is due the checkpoint, both
// on rank 0 only; older checkpoints beyond the newest o.keep are then removed.
class CheckpointPolicy {
 public:
  CheckpointPolicy(const CheckpointOptions& o, std::int64_t first_step, int rank, int world);
  // What it wrote, if anything.
  std::optional<CheckpointWritten> after_step(Trainer& t, const StepResult& r);

 private:
  CheckpointOptions o_;
  int rank_, world_;
  std::unique_ptr<LossLog> log_;
};

}  // namespace cairn::train
