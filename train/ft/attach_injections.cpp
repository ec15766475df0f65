// Placeholder of the seam commit: the layer's owner replaces this file. The slow-compute
// and slow-link injections (train/ft/inject_slow.h) are attached from here.
#include "train/fault_tolerance.h"
#include "train/ft/inject_slow.h"

namespace cairn::train {

std::unique_ptr<FtLayer> attach_injections(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks) {
  return attach_slow_faults(o, job, hooks);
}

}  // namespace cairn::train
