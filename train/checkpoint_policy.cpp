#include "train/checkpoint_policy.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/error.h"

namespace cairn::train {

void check_checkpoint_options(const CheckpointOptions& o) {
  if (o.every < 0)
    throw Error("--checkpoint-every " + std::to_string(o.every) +
                " is out of range: it must be at least 0 (a checkpoint every N steps, or 0 for one at the end only)");
  if (o.keep < 1)
    throw Error("--keep-checkpoints " + std::to_string(o.keep) +
                " is out of range: it must be at least 1 (the newest N checkpoints stay, so a resume always has one)");
  if (o.dir.empty() && (o.resume || o.every > 0))
    throw Error("--resume and --checkpoint-every need --checkpoint-dir DIR");
  if (o.start_over && !o.resume) throw Error("--start-over only changes --resume: add --resume, or drop --start-over");
}

StartingPoint starting_point(const CheckpointOptions& o, const TrainConfig& cfg, int rank, int world,
                             const std::function<void(const std::string& why)>& on_passed_over) {
  check_checkpoint_options(o);
  StartingPoint start;
  if (o.dir.empty()) {
    start.state = initial_state(cfg);
    return start;
  }
  std::vector<std::string> warnings;
  if (rank == 0) {
    prepare_checkpoint_dir(o.dir);
    start.lock = std::make_unique<CheckpointDirLock>(o.dir);
    if (!start.lock->warning().empty()) warnings.push_back(start.lock->warning());
  }
  // Said once the start is settled (a refusal is then its one line), or on the way out.
  auto tell = [&] {
    for (const auto& why : warnings) {
      if (on_passed_over) on_passed_over(why);
    }
    warnings.clear();
  };
  if (!o.resume) {
    tell();
    const auto existing = list_checkpoints(o.dir);
    if (!existing.empty())
      fail(o.dir, "already holds checkpoints of a run (newest: step " + std::to_string(existing.back().step) +
                      "); add --resume to continue it, or give another --checkpoint-dir");
    start.state = initial_state(cfg);
    return start;
  }
  const bool leader = rank == 0;
  int damaged_seen = 0;  // checkpoints (not leftovers of killed writes) passed over
  auto report = [&](const std::string& path, const std::string& why) {
    start.passed_over.push_back(why);
    warnings.push_back(why);
    if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".ckpt") == 0) ++damaged_seen;
  };
  std::optional<ResumePoint> found;
  try {
    found = load_latest_checkpoint(o.dir, cfg, world, report, leader);
  } catch (...) {
    tell();
    throw;
  }
  if (!found) {
    // Also counted from the files moved aside, by this run or an earlier one, so that a
    // second --resume after a refusal refuses again instead of finding "nothing" and
    // starting over.
    const int damaged = std::max(damaged_seen, count_damaged_checkpoints(o.dir));
    if (damaged > 0 && !o.start_over)
      fail("--checkpoint-dir " + o.dir,
           "no whole checkpoint to resume: " + std::to_string(damaged) +
               " damaged (moved aside as *.corrupt for inspection): put back a good checkpoint, or add --start-over "
               "to begin again at step 0");
    tell();
    start.nothing_to_resume = true;
    start.state = initial_state(cfg);
    return start;
  }
  tell();
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
