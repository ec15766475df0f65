#include "cli/train_checkpoints.h"

#include <chrono>
#include <cstdio>

#include "common/error.h"

namespace cairn::cli {

void add_checkpoint_options(po::options_description& desc, TrainCheckpointOptions& o) {
  desc.add_options()
      ("checkpoint-dir", po::value(&o.dir), "write checkpoints (step-N.ckpt) to this directory")
      ("checkpoint-every", po::value(&o.every)->default_value(0), "checkpoint every N steps (0: only at the end)")
      ("keep-checkpoints", po::value(&o.keep)->default_value(train::kDefaultKeepCheckpoints),
       "keep the newest N checkpoints")
      ("resume", po::bool_switch(&o.resume), "continue from the newest whole checkpoint in --checkpoint-dir")
      ("loss-log", po::value(&o.loss_log), "write each step's loss, grad norm and lr in full precision to FILE");
}

train::TrainState starting_state(const TrainCheckpointOptions& o, const train::TrainConfig& cfg, int rank,
                                 int world) {
  if (o.every < 0) throw Error("cairn train: --checkpoint-every must be >= 0");
  if (o.keep < 1) throw Error("cairn train: --keep-checkpoints must be >= 1");
  if (o.dir.empty() && (o.resume || o.every > 0))
    throw Error("cairn train: --resume and --checkpoint-every need --checkpoint-dir DIR");
  if (o.dir.empty()) return train::initial_state(cfg);
  if (!o.resume) {
    const auto existing = train::list_checkpoints(o.dir);
    if (!existing.empty())
      fail(o.dir, "already holds checkpoints of a run (newest: step " + std::to_string(existing.back().step) +
                      "); add --resume to continue it, or give another --checkpoint-dir");
    return train::initial_state(cfg);
  }
  const bool leader = rank == 0;
  auto report = [&](const std::string&, const std::string& why) {
    if (leader) std::fprintf(stderr, "WARNING: %s\n", why.c_str());
  };
  auto found = train::load_latest_checkpoint(o.dir, cfg, world, report, leader);
  if (!found) {
    if (leader) std::printf("resume: no checkpoint in %s yet; starting at step 0\n", o.dir.c_str());
    return train::initial_state(cfg);
  }
  if (leader)
    std::printf("resuming from %s (step %lld of %lld)\n", found->path.c_str(),
                static_cast<long long>(found->checkpoint.state.step), static_cast<long long>(cfg.steps));
  return std::move(found->checkpoint.state);
}

TrainCheckpointer::TrainCheckpointer(const TrainCheckpointOptions& o, std::int64_t first_step, int rank,
                                     int world)
    : o_(o), rank_(rank), world_(world) {
  if (!o_.loss_log.empty() && rank_ == 0) log_ = std::make_unique<train::LossLog>(o_.loss_log, first_step);
}

void TrainCheckpointer::after_step(train::Trainer& t, const train::StepResult& r) {
  if (log_) log_->write(r);
  const std::int64_t step = t.state().step;
  const bool due = (o_.every > 0 && step % o_.every == 0) || step == t.config().steps;
  if (o_.dir.empty() || rank_ != 0 || !due) return;
  const auto t0 = std::chrono::steady_clock::now();
  t.sync_state();
  const std::string path = train::save_checkpoint(o_.dir, t.config(), t.state(), o_.keep, world_);
  std::printf("checkpoint %s (%.2f s)\n", path.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  std::fflush(stdout);
}

}  // namespace cairn::cli
