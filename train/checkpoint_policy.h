// When a run reads and writes its checkpoints (docs/checkpoint-format.md), as
// `cairn train --checkpoint-dir / --checkpoint-every [N|auto] / --mtbf /
// --checkpoint-staging-mb / --keep-checkpoints / --resume / --loss-log` asks: the state
// it starts from, which steps end with a checkpoint (every N, or the Young/Daly interval
// from the measured save stall), the asynchronous sharded save (every rank writes 1/R of
// the state, rank 0 the manifest: ft/checkpoint/async_checkpointer.h), how many stay,
// the last verified step, and the per-step loss log. Every rank resumes from the same
// checkpoint, whatever world wrote it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectives/rendezvous/store.h"
#include "ft/checkpoint/async_checkpointer.h"
#include "ft/checkpoint/young_daly.h"
#include "ft/inject/fault_spec.h"
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
  bool every_auto = false;  // --checkpoint-every auto: the Young/Daly interval from mtbf_s
  double mtbf_s = 0;        // --mtbf: the job's mean time between failures (with every_auto)
  std::int64_t staging_mb = 0;  // --checkpoint-staging-mb: bound on staging memory; 0: the whole shard
  int keep = kDefaultKeepCheckpoints;
  bool resume = false;
  bool start_over = false;  // with resume: every checkpoint damaged starts at step 0, not a refusal
};

// Throws cairn::Error naming the flag unless every >= 0, keep >= 1, --resume or
// --checkpoint-every come with a directory, --start-over with --resume, --mtbf (> 0)
// with --checkpoint-every auto and the other way round, and staging_mb >= 0.
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

// What the run hears of its checkpoints, on the training thread, after a step or at the end.
struct CheckpointNews {
  std::optional<CheckpointWritten> committed;  // a save that reached its verdict, whole
  std::string warning;  // a save that failed (the run goes on), or what an --inject fault did
  std::string note;     // the automatic interval changed
};

// Where the run meets the job for its checkpoints.
struct CheckpointJob {
  coll::Store* store = nullptr;         // needed by a job of several ranks (the commit)
  std::vector<ft::FaultSpec> faults;    // --inject: corrupt-checkpoint, disk-full
};

// After every step: the loss log line (rank 0), and when a checkpoint is due every
// rank's shard, staged and written in the background (ft/checkpoint); rank 0 writes the
// manifest once all shards are durable, then removes checkpoints beyond the newest
// o.keep. A save that fails (a full disk) is reported and the run goes on: the next
// checkpoint tries again, and every good checkpoint stays; the last step's save must
// succeed (finish()).
class CheckpointPolicy {
 public:
  CheckpointPolicy(const CheckpointOptions& o, const TrainConfig& cfg, std::int64_t first_step, int rank, int world,
                   CheckpointJob job = {});
  ~CheckpointPolicy();  // a save in flight is finished, so a run that stops keeps it
  std::vector<CheckpointNews> after_step(Trainer& t, const StepResult& r);
  // Waits for the save in flight. cairn::Error naming the step and the last verified
  // checkpoint if the last step's save failed: the run's end state is not on disk.
  std::vector<CheckpointNews> finish();
  // The newest step whose checkpoint was committed and read back whole (a resumed run:
  // the one it resumed from, until it writes one); nullopt: none.
  std::optional<std::int64_t> last_verified_step() const { return last_verified_; }

 private:
  bool due(std::int64_t steps_taken, std::int64_t total_steps) const;
  void collect(std::vector<CheckpointNews>& news);
  std::int64_t agreed_interval(std::int64_t step, std::int64_t mine);

  CheckpointOptions o_;
  int rank_, world_;
  CheckpointJob job_;
  Json meta_;
  std::unique_ptr<LossLog> log_;
  std::unique_ptr<ft::AsyncCheckpointer> writer_;
  std::optional<ft::AutoInterval> auto_;
  std::int64_t interval_ = 0;  // every_auto: steps between saves; 0 until the first save
  std::int64_t last_saved_ = 0;
  std::int64_t total_steps_ = 0;
  std::optional<std::int64_t> last_verified_;
  std::string last_failure_;  // of the newest save, if it failed
  std::int64_t last_failed_step_ = -1;
};

}  // namespace cairn::train
