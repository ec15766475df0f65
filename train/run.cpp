#include "train/run.h"

#include <cstdio>
#include <utility>

#include "common/error.h"
#include "train/flops.h"
#include "train/progress.h"

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

}  // namespace

RunResult run(const RunOptions& o, const TokenShard& shard, coll::Communicator* comm, TrainHooks hooks) {
  if (o.log_every < 1) throw Error("train::run: log_every must be >= 1 (a row every N steps)");
  if (o.eval_batches < 0) throw Error("train::run: eval_batches must be >= 0");
  const int rank = comm ? comm->rank() : 0, ranks = comm ? comm->size() : 1;
  const ProgressPrinter print(rank == 0, o.log_every);  // one table for the job
  StartingPoint start = starting_point(o.checkpoints, o.config, rank, ranks,
                                       [&](const std::string& why) { print.passed_over(why); });
  print.starting_point(start, o.checkpoints, o.config.steps);

  Trainer t(o.config, shard, std::move(start.state), comm);
  print.header(t, shard, comm);
  CheckpointPolicy checkpoints(o.checkpoints, t.state().step, rank, ranks);
  Throughput done;
  // Caller's hooks first; then the run's own: checkpoint, account, print the row.
  t.hooks() = std::move(hooks);
  t.hooks().after_step.emplace_back([&](const StepResult& r) {
    if (const auto written = checkpoints.after_step(t, r)) {
      print.checkpoint(*written);
      notify(t.hooks().on_checkpoint, *written);
    }
    done.add(r);
    print.step(r, t.config().steps);
  });
  while (t.state().step < t.config().steps) t.step();

  RunResult result;
  result.final_step = t.state().step;
  result.seconds = done.seconds;
  if (done.seconds > 0) result.tokens_per_s = done.tokens / done.seconds;
  if (done.steady_seconds > 0) {
    result.steady_tokens_per_s = done.steady_tokens / done.steady_seconds;
    if (t.config().device == Device::cuda)  // per GPU: the job's tokens/s over its ranks
      result.mfu = result.steady_tokens_per_s / t.world() *
                   training_flops_per_token(t.config().model, t.config().seq_len) / kH100DenseBf16Flops;
  }
  print.summary(result);
  if (o.eval_batches > 0) {
    result.eval_loss = t.evaluate(o.eval_batches);  // collective: every rank takes part
    print.eval(*result.eval_loss, o.eval_batches);
  }
  std::fflush(stdout);
  return result;
}

}  // namespace cairn::train
