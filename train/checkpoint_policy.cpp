#include "train/checkpoint_policy.h"

#include <chrono>
#include <utility>

#include "common/error.h"

namespace cairn::train {

void check_checkpoint_options(const CheckpointOptions& o) {
  if (o.every < 0) throw Error("--checkpoint-every must be >= 0");
  if (o.keep < 1) throw Error("--keep-checkpoints must be >= 1");
  if (o.dir.empty() && (o.resume || o.every > 0))
    throw Error("--resume and --checkpoint-every need --checkpoint-dir DIR");
}

StartingPoint starting_point(const CheckpointOptions& o, const TrainConfig& cfg, int rank, int world,
                             const std::function<void(const std::string& why)>& on_passed_over) {
  check_checkpoint_options(o);
  StartingPoint start;
  if (o.dir.empty()) {
    start.state = initial_state(cfg);
    return start;
  }
  if (!o.resume) {
    const auto existing = list_checkpoints(o.dir);
    if (!existing.empty())
      fail(o.dir, "already holds checkpoints of a run (newest: step " + std::to_string(existing.back().step) +
                      "); add --resume to continue it, or give another --checkpoint-dir");
    start.state = initial_state(cfg);
    return start;
  }
  const bool leader = rank == 0;
  auto report = [&](const std::string&, const std::string& why) {
    start.passed_over.push_back(why);
    if (on_passed_over) on_passed_over(why);
  };
  auto found = load_latest_checkpoint(o.dir, cfg, world, report, leader);
  if (!found) {
    start.nothing_to_resume = true;
    start.state = initial_state(cfg);
    return start;
  }
  start.resumed_from = found->path;
  start.state = std::move(found->checkpoint.state);
  return start;
}

bool checkpoint_due(const CheckpointOptions& o, std::int64_t steps_taken, std::int64_t total_steps) {
  if (o.dir.empty()) return false;
  return (o.every > 0 && steps_taken % o.every == 0) || steps_taken == total_steps;
}

CheckpointPolicy::CheckpointPolicy(const CheckpointOptions& o, std::int64_t first_step, int rank, int world)
    : o_(o), rank_(rank), world_(world) {
  if (!o_.loss_log.empty() && rank_ == 0) log_ = std::make_unique<LossLog>(o_.loss_log, first_step);
}

std::optional<CheckpointWritten> CheckpointPolicy::after_step(Trainer& t, const StepResult& r) {
  if (log_) log_->write(r);
  const std::int64_t step = t.state().step;
  if (rank_ != 0 || !checkpoint_due(o_, step, t.config().steps)) return std::nullopt;
  const auto t0 = std::chrono::steady_clock::now();
  t.sync_state();
  CheckpointWritten w;
  w.path = save_checkpoint(o_.dir, t.config(), t.state(), o_.keep, world_);
  w.step = step;
  w.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return w;
}

}  // namespace cairn::train
