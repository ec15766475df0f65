#include "train/progress.h"

#include <cstdio>

#include "train/flops.h"

namespace cairn::train {

void ProgressPrinter::passed_over(const std::string& why) const {
  if (printing_) std::fprintf(stderr, "WARNING: %s\n", why.c_str());
}

void ProgressPrinter::starting_point(const StartingPoint& s, const CheckpointOptions& o,
                                     std::int64_t steps) const {
  if (!printing_) return;
  if (s.nothing_to_resume)
    std::printf("resume: no checkpoint in %s yet; starting at step 0\n", o.dir.c_str());
  else if (!s.resumed_from.empty())
    std::printf("resuming from %s (step %lld of %lld)\n", s.resumed_from.c_str(),
                static_cast<long long>(s.state.step), static_cast<long long>(steps));
}

void ProgressPrinter::memory(const std::string& summary) const {
  if (printing_) std::printf("%s\n", summary.c_str());
}

void ProgressPrinter::header(const Trainer& t, const TokenShard& shard, const coll::Communicator* comm) const {
  if (!printing_) return;
  const TrainConfig& cfg = t.config();
  std::printf("model %s: %lld parameters; data %s: %llu tokens; batch %lld x %lld", cfg.model.name.c_str(),
              static_cast<long long>(parameter_count(cfg.model)), shard.path().c_str(),
              static_cast<unsigned long long>(shard.size()), static_cast<long long>(cfg.batch),
              static_cast<long long>(cfg.seq_len));
  if (comm)
    std::printf(" per rank, %d ranks (%s): global batch %lld", t.world(), std::string(comm->backend()).c_str(),
                static_cast<long long>(cfg.batch * t.world()));
  std::printf("; device %s\n", std::string(to_string(cfg.device)).c_str());
  // data wait: what the step waited for its batch (the loader's stall), so a slow data
  // path shows here as it does in cairn probe storage.
  std::printf("%8s %10s %10s %10s %12s %11s\n", "step", "loss", "lr", "grad_norm", "tokens/s", "data wait");
}

void ProgressPrinter::step(const StepResult& r, std::int64_t total_steps) const {
  if (!printing_ || !((r.step + 1) % log_every_ == 0 || r.step == 0 || r.step + 1 == total_steps)) return;
  std::printf("%8lld %10.4f %10.2e %10.3f %12.0f %9.3f s\n", static_cast<long long>(r.step + 1), r.loss, r.lr,
              r.grad_norm, static_cast<double>(r.tokens) / r.seconds, r.sections.data_s);
  std::fflush(stdout);
}

void ProgressPrinter::checkpoint(const CheckpointWritten& c) const {
  if (!printing_) return;
  // The wait is named: a write slower than the interval shows as stall, not as copy.
  char waited[96] = "";
  if (c.wait_seconds >= 1e-3)
    std::snprintf(waited, sizeof waited, ", of which %.3f s waiting for the previous save's write", c.wait_seconds);
  std::printf("checkpoint %s: step %lld verified (stall %.3f s%s, written in %.2f s in the background, %.1f MB)\n",
              c.path.c_str(), static_cast<long long>(c.step), c.stall_seconds, waited, c.write_seconds,
              static_cast<double>(c.bytes) / 1e6);
  std::fflush(stdout);
}

void ProgressPrinter::note(const std::string& line) const {
  if (printing_) std::printf("%s\n", line.c_str());
}

void ProgressPrinter::summary(const RunResult& r) const {
  if (!printing_) return;
  if (r.seconds > 0)
    std::printf("trained to step %lld in %.1f s, %.0f tokens/s\n", static_cast<long long>(r.final_step), r.seconds,
                r.tokens_per_s);
  else  // resumed from a checkpoint of the last step
    std::printf("nothing to train: already at step %lld\n", static_cast<long long>(r.final_step));
  if (r.last_verified_step) std::printf("last verified checkpoint: step %lld\n", static_cast<long long>(*r.last_verified_step));
  if (r.steady_tokens_per_s <= 0) return;
  // MFU is against an H100's dense bf16 peak, so it is reported for GPU runs only.
  if (r.mfu)
    std::printf("steady state (after %lld steps): %.0f tokens/s, MFU %.1f%% of %.0f TFLOP/s per rank "
                "(6 N_non-embedding + 6 L d T FLOPs per token)\n",
                static_cast<long long>(kWarmupStepsUntimed), r.steady_tokens_per_s, 100 * *r.mfu,
                kH100DenseBf16Flops / 1e12);
  else
    std::printf("steady state (after %lld steps): %.0f tokens/s\n", static_cast<long long>(kWarmupStepsUntimed),
                r.steady_tokens_per_s);
}

void ProgressPrinter::eval(double loss, std::int64_t batches) const {
  if (printing_) std::printf("eval loss %.4f over %lld batches\n", loss, static_cast<long long>(batches));
}

}  // namespace cairn::train
