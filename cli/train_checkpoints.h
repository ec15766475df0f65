// cairn train's durability flags: --checkpoint-dir, --checkpoint-every, --keep-checkpoints,
// --resume and --loss-log (docs/checkpoint-format.md). Rank 0 of a data-parallel job
// writes for all ranks (their states are identical); every rank resumes from the same file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cli/options.h"
#include "train/checkpoint_dir.h"
#include "train/loss_log.h"
#include "train/trainer.h"

namespace cairn::cli {

struct TrainCheckpointOptions {
  std::string dir, loss_log;
  std::int64_t every = 0;  // 0: only at the end of the run
  int keep = train::kDefaultKeepCheckpoints;
  bool resume = false;
};

void add_checkpoint_options(po::options_description& desc, TrainCheckpointOptions& o);

// Where the run starts: with --resume the newest whole checkpoint in the directory (it
// says which, and warns about each one it passed over), else step 0. A fresh run refuses
// a directory that already holds checkpoints, so one directory is one run.
train::TrainState starting_state(const TrainCheckpointOptions& o, const train::TrainConfig& cfg, int rank,
                                 int world);

// After every step: the loss log line, and every `every` steps and at the last step a
// checkpoint (rank 0).
class TrainCheckpointer {
 public:
  TrainCheckpointer(const TrainCheckpointOptions& o, std::int64_t first_step, int rank, int world);
  void after_step(train::Trainer& t, const train::StepResult& r);

 private:
  TrainCheckpointOptions o_;
  int rank_, world_;
  std::unique_ptr<train::LossLog> log_;
};

}  // namespace cairn::cli
