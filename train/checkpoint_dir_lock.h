// One run at a time in a checkpoint directory. The run that writes checkpoints holds an
// exclusive flock(2) on DIR/cairn.lock for its whole life and records in that file who
// it is (pid, host, start time), so a second run on the same directory is refused at
// start, naming the holder, instead of overwriting the first run's checkpoints. The
// kernel drops the lock when the process ends, however it ends: a killed run leaves the
// file (and its stale record) but no lock, and the next run takes it over.
//
// Creating and writing the lock file is also the start-of-run check that the directory
// can be written (permissions, a read-only or full filesystem), before any step is spent.
#pragma once

#include <string>

namespace cairn::train {

inline constexpr const char* kCheckpointLockName = "cairn.lock";

class CheckpointDirLock {
 public:
  // dir must exist (prepare_checkpoint_dir). cairn::Error naming the directory and the
  // holder, or what stops this user writing there. On a filesystem without flock (Lustre
  // mounted without -o flock) nothing is locked: warning() says so.
  explicit CheckpointDirLock(const std::string& dir);
  ~CheckpointDirLock();
  CheckpointDirLock(const CheckpointDirLock&) = delete;
  CheckpointDirLock& operator=(const CheckpointDirLock&) = delete;

  // Empty when the lock is held; else why the directory is not protected.
  const std::string& warning() const { return warning_; }

 private:
  int fd_ = -1;
  std::string warning_;
};

}  // namespace cairn::train
