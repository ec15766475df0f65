#include "train/run.h"

#include <cstdio>
#include <new>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "common/error.h"
#include "common/host_name.h"
#include "train/flops.h"
#include "train/memory_plan.h"
#include "train/progress.h"
#include "train/train_config_check.h"

#if CAIRN_HAVE_CUDA
#include "train/cuda/attention.h"
#endif

namespace cairn::train {
namespace {

// Tokens and seconds over every step, and over the steps after the warmup.
struct Throughput {
  double tokens = 0, seconds = 0, steady_tokens = 0, steady_seconds = 0;
  void add(const StepResult& r) {
    tokens += static_cast<double>(r.tokens);
    seconds += r.seconds;
    if (r.step >= kWarmupStepsUntimed) {
      steady_tokens += static_cast<double>(r.tokens);
      steady_seconds += r.seconds;
    }
  }
};

// The MFU of one token a second on one GPU (FtJob::mfu_per_token_s); 0 on the CPU.
double mfu_per_token_s(const TrainConfig& cfg) {
  if (cfg.device != Device::cuda) return 0;
  return training_flops_per_token(cfg.model, cfg.seq_len) / kH100DenseBf16Flops;
}

TrainConfig with_seq_len(TrainConfig cfg) {
  if (cfg.seq_len == 0) cfg.seq_len = cfg.model.context;
  return cfg;
}

// The run itself; `doing` says what it is allocating or doing, for an out-of-memory error.
RunResult run_checked(const RunOptions& o, const TokenShard& shard, coll::Communicator* comm, TrainHooks hooks,
                      coll::Store* store, coll::Communicator* host_comm, const std::string& memory,
                      std::string& doing) {
  const int rank = comm ? comm->rank() : 0, ranks = comm ? comm->size() : 1;
  doing = "while allocating the weights and AdamW moments";
  const ProgressPrinter print(rank == 0, o.log_every);  // one table for the job
  StartingPoint start = starting_point(o.checkpoints, o.config, rank, ranks,
                                       [&](const std::string& why) { print.passed_over(why); });
  print.starting_point(start, o.checkpoints, o.config.steps);
  print.memory(memory);

  doing = "while allocating the gradients and activations";
  Trainer t(o.config, shard, std::move(start.state), comm);
  doing = "during a training step";
  print.header(t, shard, comm);
  CheckpointPolicy checkpoints(o.checkpoints, t.config(), t.state().step, rank, ranks,
                               CheckpointJob{store, o.ft.inject});
  auto tell = [&](const std::vector<CheckpointNews>& news) {
    for (const auto& n : news) {
      if (!n.warning.empty()) print.passed_over(n.warning);
      if (!n.note.empty()) print.note(n.note);
      if (n.committed) {
        print.checkpoint(*n.committed);
        notify(t.hooks().on_checkpoint, *n.committed);
      }
    }
  };
  Throughput done;
  // Caller's hooks first, then the fault-tolerance layers'; then the run's own:
  // checkpoint, account, print the row.
  t.hooks() = std::move(hooks);
  if (!host_comm && comm && comm->memory() == coll::MemoryKind::host) host_comm = comm;
  const FtLayers ft =
      attach_fault_tolerance(o.ft, FtJob{comm, store, rank, ranks, host_name(), host_comm, nullptr,
                                         checkpoints.last_verified_step(), mfu_per_token_s(t.config()),
                                         t.config().device == Device::cuda},
                             t.hooks());
  t.hooks().after_step.emplace_back([&](const StepResult& r) {
    tell(checkpoints.after_step(t, r));
    done.add(r);
    print.step(r, t.config().steps);
  });
  while (t.state().step < t.config().steps) t.step();
  tell(checkpoints.finish());  // the last save's verdict, before the summary

  RunResult result;
  result.last_verified_step = checkpoints.last_verified_step();
  result.final_step = t.state().step;
  result.seconds = done.seconds;
  if (done.seconds > 0) result.tokens_per_s = done.tokens / done.seconds;
  if (done.steady_seconds > 0) {
    result.steady_tokens_per_s = done.steady_tokens / done.steady_seconds;
    if (const double per_token_s = mfu_per_token_s(t.config()); per_token_s > 0)  // per GPU: over the ranks
      result.mfu = result.steady_tokens_per_s / t.world() * per_token_s;
  }
  print.summary(result);
  if (o.eval_batches > 0) {
    result.eval_loss = t.evaluate(o.eval_batches);  // collective: every rank takes part
    print.eval(*result.eval_loss, o.eval_batches);
  }
  std::fflush(stdout);
  return result;
}

}  // namespace

void check_run_options(const RunOptions& o) {
  validate(o.config.model, "model \"" + o.config.model.name + "\"");
  check_train_config(o.config);
  if (o.log_every < 1)
    throw Error("--log-every " + std::to_string(o.log_every) + " is out of range: it must be at least 1 (a row every N steps)");
  if (o.eval_batches < 0)
    throw Error("--eval-batches " + std::to_string(o.eval_batches) +
                " is out of range: it must be at least 0 (batches of the loss after training; 0: none)");
  check_checkpoint_options(o.checkpoints);
}

void check_shard_options(const RunOptions& o, int world) {
  if (!o.config.shard) return;
  if (world < 2)
    throw Error("--shard splits the weights over the ranks of a data-parallel job and this is one rank: "
                "run it under cairn launch -n N with N > 1");
  if (o.config.device != Device::cpu) throw Error("--shard runs the CPU model on host ranks: train with --device cpu");
  if (checks_gradients(o.ft) || o.ft.divergence.enabled)
    throw Error("--shard cannot run with checked gradients (--sdc) or --divergence yet: both need the full "
                "gradients or weights on every rank");
}

RunResult run(const RunOptions& o, const TokenShard& shard, coll::Communicator* comm, TrainHooks hooks,
              coll::Store* store, coll::Communicator* host_comm) {
  check_run_options(o);
  check_fault_tolerance_options(o.ft, comm ? comm->size() : 1);
  check_shard_options(o, comm ? comm->size() : 1);
  const TrainConfig cfg = with_seq_len(o.config);
  const std::string memory = require_memory_fits(cfg);
#if CAIRN_HAVE_CUDA
  // A malformed CAIRN_ATTENTION stops the run here, before anything is allocated.
  if (cfg.device == Device::cuda) (void)cuda::default_attention_impl();
#endif
  // An allocation that fails although the plan fitted (other processes took the memory
  // meanwhile) ends as one line saying what was being allocated.
  std::string doing = "while starting the run";
  try {
    return run_checked(o, shard, comm, std::move(hooks), store, host_comm, memory, doing);
  } catch (const std::bad_alloc&) {
    const MemoryPlan plan = memory_plan(cfg);
    throw Error(fmt::format("out of memory {} (model \"{}\" needs {} of host memory{}); free memory, "
                            "or use a smaller --preset, --batch or --seq-len",
                            doing, cfg.model.name, format_bytes(plan.host.total()),
                            cfg.device == Device::cuda ? " and " + format_bytes(plan.device.total()) + " of GPU memory"
                                                       : std::string()));
  }
}

}  // namespace cairn::train
