// The collectives section of a step: an observer on the job's Communicator adds up the
// time of every operation that ended (op_observer.h: from its post to its completion;
// on a device backend the end lags the GPU's by up to a poll, its device_us is exact:
// the GPU seam uses that). take() hands the sum over and starts the next step's.
#pragma once

#include <mutex>

#include "collectives/backends/op_observer.h"

namespace cairn::ft {

class CollectiveTimer : public coll::OpObserver {
 public:
  void on_end(const coll::OpRecord& r) noexcept override {
    const double s = std::chrono::duration<double>(r.end - r.start).count();
    std::lock_guard lock(mu_);
    seconds_ += s;
    ++ops_;
  }
  double take() {
    std::lock_guard lock(mu_);
    const double s = seconds_;
    seconds_ = 0;
    ops_ = 0;
    return s;
  }

 private:
  std::mutex mu_;
  double seconds_ = 0;
  long ops_ = 0;
};

}  // namespace cairn::ft
