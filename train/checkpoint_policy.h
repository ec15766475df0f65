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
#include "train/checkpoint_dir_lock.h"
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
  bool start_over = false;  // with resume: every checkpoint damaged starts at step 0, not a refusal
};

// Throws cairn::Error naming the flag unless every >= 0, keep >= 1, --resume or
// --checkpoint-every come with a directory, and --start-over with --resume.
void check_checkpoint_options(const CheckpointOptions& o);

struct StartingPoint {
  TrainState state;
  std::string resumed_from;         // the checkpoint resumed; empty: step 0
  bool nothing_to_resume = false;   // --resume found no checkpoint yet: step 0
  std::vector<std::string> passed_over;  // why each newer checkpoint or leftover was skipped
  // Rank 0's hold on the directory (checkpoint_dir_lock.h): keep this object for as long
  // as the run writes checkpoints.
  std::unique_ptr<CheckpointDirLock> lock;
};

// Where the run starts: with resume the newest whole checkpoint in the directory (noting
// each one it passed over), else step 0. Rank 0, which writes the checkpoints, first
// creates the directory if need be (its last component only) and locks it, which refuses
// a directory another run holds or this user cannot write. A fresh run refuses a
// directory that already holds checkpoints, so one directory is one run. A resume that
// finds checkpoints but none whole refuses too (their damage needs a look), unless
// o.start_over; an empty or new directory starts at step 0. Only rank 0 tidies the
// directory (moves damaged files aside); the others read the same files and touch nothing.
// on_passed_over hears of each file passed over (and of an unlockable directory) once
// the start is settled, so a resume that then fails (a checkpoint of other settings) has
// still said what it skipped, and a refusal is the one line it prints.
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
