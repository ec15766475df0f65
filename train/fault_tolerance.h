// A training run under ft/ (docs/ft.md): the options of each fault-tolerance layer, and
// the one call train::run() makes to attach them to its Trainer. Each layer's attachment
// lives in a file of its own (train/ft/attach_*.cpp) and returns the object that must
// live as long as the run (null when the layer is off); attach_fault_tolerance() calls
// them in a fixed order: injections first (so a layer meets the fault it is to catch),
// then the watchdog, checked gradients, and the straggler detector.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"
#include "collectives/rendezvous/store.h"
#include "ft/inject/fault_spec.h"
#include "ft/sdc/sdc_options.h"
#include "ft/straggler/straggler_options.h"
#include "ft/watchdog/watchdog_options.h"
#include "train/hooks.h"

namespace cairn::train {

struct FaultToleranceOptions {
  std::vector<ft::FaultSpec> inject;  // --inject, parsed
  ft::StragglerOptions straggler;
  ft::SdcOptions sdc;
  ft::WatchdogOptions watchdog;
};

// Whether checked gradients attach: --sdc, --sdc-param-check-every, or a bit flip to
// inject in this start of the job.
bool checks_gradients(const FaultToleranceOptions& o);
// Whether a layer exchanges over FtJob::host_comm (the straggler detector, checked
// gradients): what a job on a device communicator opens a host one beside it for.
bool needs_host_communicator(const FaultToleranceOptions& o);

// cairn::Error naming the flag unless the options can run on a job of `world` ranks.
void check_fault_tolerance_options(const FaultToleranceOptions& o, int world);

// Where the layers attach: the job (null communicator and store: one rank alone) and
// the run's hooks, which the layers add to.
struct FtJob {
  coll::Communicator* comm = nullptr;  // the gradients' (NCCL on GPUs, UCX on the host)
  coll::Store* store = nullptr;
  int rank = 0;
  int world = 1;
  std::string host;  // this rank's host name, for alerts
  // Host memory, for ft/'s own exchanges (statistics, hashes, the checked reduction):
  // comm itself when it holds host memory, else a UCX communicator beside it; for a
  // straggler detector on one rank alone, a job of one.
  coll::Communicator* host_comm = nullptr;
  bool gpu = false;  // the model runs on this process's current CUDA device
};

// What one layer keeps alive for the run; destroyed (in reverse order) when it ends.
class FtLayer {
 public:
  virtual ~FtLayer() = default;
};
using FtLayers = std::vector<std::unique_ptr<FtLayer>>;

// Each returns null when its part of `o` asks for nothing.
std::unique_ptr<FtLayer> attach_injections(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks);
std::unique_ptr<FtLayer> attach_watchdog(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks);
std::unique_ptr<FtLayer> attach_checked_gradients(const FaultToleranceOptions& o, const FtJob& job,
                                                  TrainHooks& hooks);
std::unique_ptr<FtLayer> attach_straggler_detector(const FaultToleranceOptions& o, const FtJob& job,
                                                   TrainHooks& hooks);

FtLayers attach_fault_tolerance(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks);

}  // namespace cairn::train
