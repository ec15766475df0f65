#include "train/checkpoint_policy.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <utility>

#include "common/error.h"
#include "train/model_cpu_sharded.h"
#include "train/parameter_layout.h"

namespace cairn::train {

void check_checkpoint_options(const CheckpointOptions& o) {
  if (o.every < 0)
    throw Error("--checkpoint-every " + std::to_string(o.every) +
                " is out of range: it must be at least 0 (a checkpoint every N steps, or 0 for one at the end only)");
  if (o.keep < 1)
    throw Error("--keep-checkpoints " + std::to_string(o.keep) +
                " is out of range: it must be at least 1 (the newest N checkpoints stay, so a resume always has one)");
  if (o.dir.empty() && (o.resume || o.every > 0 || o.every_auto))
    throw Error("--resume and --checkpoint-every need --checkpoint-dir DIR");
  if (o.every_auto && !(o.mtbf_s > 0))
    throw Error("--checkpoint-every auto needs --mtbf DURATION (the job's mean time between failures, e.g. 24h), "
                "from which the Young/Daly interval sqrt(2 x save stall x MTBF) is taken");
  if (!o.every_auto && o.mtbf_s != 0)
    throw Error("--mtbf only sets the interval of --checkpoint-every auto: add --checkpoint-every auto, or drop --mtbf");
  if (o.staging_mb < 0 || o.staging_mb > (std::int64_t{1} << 30))
    throw Error("--checkpoint-staging-mb " + std::to_string(o.staging_mb) +
                " is out of range: it must be 0 (stage the whole shard) to 1073741824 MiB");
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
  if (const std::string note = world_change_note(found->checkpoint.info, world, found->path); !note.empty())
    warnings.push_back(note);
  tell();
  start.resumed_from = found->path;
  start.state = std::move(found->checkpoint.state);
  return start;
}

bool checkpoint_due(const CheckpointOptions& o, std::int64_t steps_taken, std::int64_t total_steps) {
  if (o.dir.empty()) return false;
  return (o.every > 0 && steps_taken % o.every == 0) || steps_taken == total_steps;
}

CheckpointPolicy::CheckpointPolicy(const CheckpointOptions& o, const TrainConfig& cfg, std::int64_t first_step,
                                   int rank, int world, CheckpointJob job)
    : o_(o), rank_(rank), world_(world), job_(std::move(job)), total_steps_(cfg.steps) {
  if (!o_.loss_log.empty() && rank_ == 0) log_ = std::make_unique<LossLog>(o_.loss_log, first_step);
  last_saved_ = first_step;
  if (first_step > 0) last_verified_ = first_step;  // resumed: that checkpoint read back whole
  if (o_.dir.empty()) return;
  meta_ = checkpoint_meta(cfg);
  if (o_.every_auto) auto_.emplace(o_.mtbf_s);
  ft::CheckpointerOptions w;
  w.dir = o_.dir;
  w.rank = rank;
  w.ranks = world;
  w.keep = o_.keep;
  w.staging_bytes = static_cast<std::uint64_t>(o_.staging_mb) << 20;
  w.pinned = cfg.device == Device::cuda;
  w.faults = job_.faults;
  if (world > 1) {
    if (!job_.store)
      throw Error("--checkpoint-dir in a job of " + std::to_string(world) +
                  " ranks needs the job's rendezvous store (each rank writes a shard, rank 0 commits them): start the "
                  "job with cairn launch, srun, mpirun or torchrun");
    // A restarted job (CAIRN_RESTART) must not read the reports of the start before it.
    w.channel = ft::store_commit_channel(*job_.store, "cairn/checkpoint/attempt-" + std::to_string(ft::current_attempt()),
                                         std::chrono::minutes(5));
  }
  writer_ = std::make_unique<ft::AsyncCheckpointer>(std::move(w));
  // The staging memory now, not in the first save's stall (pinning gigabytes takes seconds).
  writer_->reserve(ParameterLayout(cfg.model).total_elements(), std::size(kStateSectionNames));
}

CheckpointPolicy::~CheckpointPolicy() = default;

bool CheckpointPolicy::due(std::int64_t steps_taken, std::int64_t total_steps) const {
  if (o_.dir.empty()) return false;
  if (steps_taken == total_steps) return true;
  // auto: the first save after the first step measures the cost; then the interval.
  if (o_.every_auto) return interval_ == 0 ? steps_taken == last_saved_ + 1 : steps_taken >= last_saved_ + interval_;
  return checkpoint_due(o_, steps_taken, total_steps);
}

// Every rank must save at the same steps: rank 0's interval is the job's (through the
// store; the others wait for it only at a save).
std::int64_t CheckpointPolicy::agreed_interval(std::int64_t step, std::int64_t mine) {
  if (world_ == 1 || !job_.store) return mine;
  const std::string key =
      "cairn/checkpoint/attempt-" + std::to_string(ft::current_attempt()) + "/interval-after-" + std::to_string(step);
  if (rank_ == 0) {
    job_.store->set(key, std::to_string(mine));
    return mine;
  }
  return std::stoll(job_.store->get(key));
}

void CheckpointPolicy::collect(std::vector<CheckpointNews>& news) {
  if (!writer_) return;
  for (auto& out : writer_->take_outcomes()) {
    if (!out.injected.empty()) news.push_back({std::nullopt, out.injected, {}});
    if (out.committed) {
      CheckpointWritten w;
      w.path = out.manifest;
      w.step = out.step;
      w.stall_seconds = out.stall_s;
      w.wait_seconds = out.wait_s;
      w.write_seconds = out.write_s;
      w.seconds = out.stall_s + out.write_s;
      w.bytes = out.stored_bytes;
      last_verified_ = out.step;
      last_failure_.clear();
      news.push_back({w, {}, {}});
      continue;
    }
    last_failed_step_ = out.step;
    last_failure_ = out.error;
    if (out.step == total_steps_) continue;  // finish() says it, as the run's error
    const std::string last = last_verified_ ? "step " + std::to_string(*last_verified_) + " (" +
                                                  checkpoint_path(o_.dir, *last_verified_) + ")"
                                            : "none yet";
    news.push_back({std::nullopt,
                    "the checkpoint of step " + std::to_string(out.step) + " was not written: " + out.error +
                        "; every earlier checkpoint is kept, the last verified one is " + last +
                        "; the next checkpoint tries again",
                    {}});
  }
}

std::vector<CheckpointNews> CheckpointPolicy::after_step(Trainer& t, const StepResult& r) {
  if (log_) log_->write(r);
  std::vector<CheckpointNews> news;
  if (!writer_) return news;
  if (auto_) auto_->add_step(r.seconds);
  collect(news);
  const std::int64_t step = t.state().step;
  if (!due(step, t.config().steps)) return news;
  ft::SaveRequest req;
  req.step = step;
  req.total_elements = t.model().layout().total_elements();
  auto* sharded = dynamic_cast<ShardedCpuModel*>(&t.model());
  // A GPU's state goes from the device straight to pinned staging; no host mirror between.
  if (const Model::DeviceState d = t.model().device_state(); d.params) {
    req.buffers = {{kStateSectionNames[0], d.params, true}, {kStateSectionNames[1], d.m, true},
                   {kStateSectionNames[2], d.v, true}};
  } else {
    // A sharded run gathers the full state for the save (collective: every rank saves at
    // the same steps) and drops it once staged, so the checkpoint is the format a run
    // of any world, sharded or not, resumes from (ShardedCpuModel::load_state scatters).
    if (sharded) sharded->sync_state();
    const TrainState& s = t.state();
    req.buffers = {{kStateSectionNames[0], s.params.data()}, {kStateSectionNames[1], s.m.data()},
                   {kStateSectionNames[2], s.v.data()}};
  }
  if (rank_ == 0) req.meta = meta_;
  const double stall = writer_->save(req);
  if (sharded) sharded->drop_full_state();  // save() has staged it
  last_saved_ = step;
  if (auto_) {
    const std::int64_t next = agreed_interval(step, auto_->after_save(stall).value_or(1));
    if (next != interval_) {
      interval_ = next;
      char line[320];
      std::snprintf(line, sizeof line,
                    "checkpoint interval: every %lld steps (Young/Daly: sqrt(2 x %.3g s save stall x %.3g s MTBF) = "
                    "%.3g s, at %.3g s a step)",
                    static_cast<long long>(next), stall, o_.mtbf_s, auto_->last_interval_s(), auto_->mean_step_s());
      news.push_back({std::nullopt, {}, line});
    }
  }
  collect(news);
  return news;
}

std::vector<CheckpointNews> CheckpointPolicy::finish() {
  std::vector<CheckpointNews> news;
  if (!writer_) return news;
  writer_->wait();
  collect(news);
  if (last_failed_step_ == total_steps_ && !last_failure_.empty() &&
      !(last_verified_ && *last_verified_ == total_steps_)) {
    const std::string last = last_verified_ ? "step " + std::to_string(*last_verified_) : "none";
    throw Error("the checkpoint of the last step (" + std::to_string(total_steps_) + ") was not written: " +
                last_failure_ + "; the last verified checkpoint is " + last +
                ": fix the cause and run again with --resume to redo the steps after it");
  }
  return news;
}

}  // namespace cairn::train
