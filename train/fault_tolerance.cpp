#include "train/fault_tolerance.h"

namespace cairn::train {

void check_fault_tolerance_options(const FaultToleranceOptions& o, int world) {
  ft::check_fault_ranks(o.inject, world);
  ft::check_watchdog_options(o.watchdog);
}

bool needs_host_communicator(const FaultToleranceOptions& o) { return o.straggler.enabled || checks_gradients(o); }

FtLayers attach_fault_tolerance(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks) {
  FtLayers layers;
  for (auto attach : {attach_injections, attach_watchdog, attach_checked_gradients, attach_straggler_detector})
    if (auto layer = attach(o, job, hooks)) layers.push_back(std::move(layer));
  return layers;
}

}  // namespace cairn::train
