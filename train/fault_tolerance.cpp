#include "train/fault_tolerance.h"

namespace cairn::train {

void check_fault_tolerance_options(const FaultToleranceOptions& o, int world) {
  ft::check_fault_ranks(o.inject, world);
  ft::check_watchdog_options(o.watchdog);
  ft::check_divergence_options(o.divergence);
}

bool needs_host_communicator(const FaultToleranceOptions& o) { return o.straggler.enabled || checks_gradients(o); }

FtLayers attach_fault_tolerance(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks) {
  FtLayers layers;
  FtJob served = job;
  if (auto endpoint = attach_metrics_endpoint(o, served, hooks)) layers.push_back(std::move(endpoint));
  for (auto attach : {attach_injections, attach_watchdog, attach_checked_gradients, attach_straggler_detector,
                      attach_divergence_detector})
    if (auto layer = attach(o, served, hooks)) layers.push_back(std::move(layer));
  return layers;
}

}  // namespace cairn::train
