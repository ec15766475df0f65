// `cairn train --loss-log FILE`: one line per optimizer step, exact enough to compare runs
// bitwise: "STEP LOSS GRAD_NORM LR", STEP = steps taken (1-based), the rest in %.17g
// (which round-trips a double). A resumed run keeps the lines up to its resume step and
// continues the file, so an interrupted run's log ends up equal to an uninterrupted one's.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "train/train_state.h"

namespace cairn::train {

class LossLog {
 public:
  // first_step 0: a new file. Else the existing file keeps its whole lines of steps up to
  // first_step (a killed run may have logged past its checkpoint, and cut a line short).
  LossLog(std::string path, std::int64_t first_step);
  ~LossLog();
  LossLog(const LossLog&) = delete;
  LossLog& operator=(const LossLog&) = delete;

  void write(const StepResult& r);  // flushed, so a killed run leaves whole lines behind

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

}  // namespace cairn::train
