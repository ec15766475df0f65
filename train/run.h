// A whole training run on this rank, as `cairn train` does it: where it starts
// (checkpoint policy), the steps, the checkpoints due, the progress table on rank 0,
// throughput in steady state and MFU, and an evaluation at the end. Other layers attach
// through hooks (train/hooks.h) rather than a loop of their own.
#pragma once

#include <cstdint>
#include <optional>

#include "collectives/backends/communicator.h"
#include "train/checkpoint_policy.h"
#include "train/data/token_shard.h"
#include "train/fault_tolerance.h"
#include "train/hooks.h"
#include "train/trainer.h"

namespace cairn::train {

// Steady state, as peers/torch_llama.py times it: the steps after the first 3.
inline constexpr std::int64_t kWarmupStepsUntimed = 3;

struct RunOptions {
  TrainConfig config;
  CheckpointOptions checkpoints;
  std::int64_t log_every = 10;    // a table row every N steps (and the first and last)
  std::int64_t eval_batches = 0;  // > 0: the mean loss over that many batches at the end
  FaultToleranceOptions ft;       // the ft/ layers the run attaches (train/fault_tolerance.h)
};

struct RunResult {
  std::int64_t final_step = 0;       // steps taken when the run ended
  double seconds = 0;                // in steps this run took (checkpoints aside)
  double tokens_per_s = 0;           // over every step this run took; 0: it took none
  double steady_tokens_per_s = 0;    // after the first kWarmupStepsUntimed steps; 0: none
  std::optional<double> mfu;         // GPU runs with a steady state: per rank, of an H100's bf16 peak
  std::optional<double> eval_loss;   // when eval_batches > 0
  // The newest checkpoint committed and read back whole (or resumed from); none: nullopt.
  std::optional<std::int64_t> last_verified_step;
};

// cairn::Error naming the flag unless the model, every hyperparameter
// (train/train_config_check.h), log_every >= 1, eval_batches >= 0 and the checkpoint
// options are valid: what run() checks first, and a caller can check before it opens a
// job or a shard.
void check_run_options(const RunOptions& o);
// cairn::Error naming --shard unless o can run sharded (o.config.shard) on `world`
// ranks: more than one, the CPU model, no checked gradients or divergence detector yet
// (each reads or writes the full gradients or weights).
void check_shard_options(const RunOptions& o, int world);

// Collective when comm is given (every rank calls it with the same options). Checks the
// options, then that the run fits this rank's memory (train/memory_plan.h), before it
// allocates anything. Rank 0 prints the progress and writes the checkpoints; every rank
// returns the result. A step whose loss or gradient norm is not finite stops the run
// with cairn::CheckFailed naming the step, before the optimizer applies it and before
// any checkpoint of it.
// `store` is the job's rendezvous store (heartbeats, scores), null on one rank alone.
// `host_comm` is the host-memory communicator for ft/'s exchanges (FtJob::host_comm);
// null: comm where it holds host memory.
RunResult run(const RunOptions& o, const TokenShard& shard, coll::Communicator* comm = nullptr,
              TrainHooks hooks = {}, coll::Store* store = nullptr, coll::Communicator* host_comm = nullptr);

}  // namespace cairn::train
