// A training run under ft/ (docs/ft.md): the options of each fault-tolerance layer, and
// the one call train::run() makes to attach them to its Trainer. Each layer's attachment
// lives in a file of its own (train/ft/attach_*.cpp) and returns the object that must
// live as long as the run (null when the layer is off); attach_fault_tolerance() calls
// them in a fixed order: injections first (so a layer meets the fault it is to catch),
// then the watchdog, checked gradients, the straggler detector and the divergence
// detector. The metrics endpoint (--metrics-port) is attached before all of them: it
// binds its port first, so a port in use stops the run before anything else starts, and
// it hands the others (FtJob::metrics) the board they publish their metrics to.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"
#include "collectives/rendezvous/store.h"
#include "common/exposition/listen_address.h"
#include "common/exposition/metrics_board.h"
#include "ft/divergence/divergence_options.h"
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
  ft::DivergenceOptions divergence;
  // --metrics-port P [--metrics-addr A]: where rank 0 serves Prometheus text; none: no
  // endpoint.
  std::optional<exposition::ListenAddress> metrics;
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
  // Where a layer publishes its metric families for the endpoint: set by
  // attach_metrics_endpoint() on the rank that serves (rank 0); null elsewhere, or
  // without --metrics-port.
  exposition::MetricsBoard* metrics = nullptr;
  // The checkpoint the run resumed from (read back whole); none: it started at step 0.
  std::optional<std::int64_t> resumed_step;
  // GPU runs: the MFU of one token a second per rank (the model's training FLOPs per
  // token over the GPU's peak, train/flops.h), so a step's MFU is its tokens/s over the
  // ranks times this; 0: no MFU (the CPU has no peak the trainer measures against).
  double mfu_per_token_s = 0;
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

std::unique_ptr<FtLayer> attach_divergence_detector(const FaultToleranceOptions& o, const FtJob& job,
                                                    TrainHooks& hooks);
// Binds the endpoint and sets job.metrics to its board (rank 0 with o.metrics; else null
// and nothing attached). cairn::Error naming --metrics-port / --metrics-addr when it
// cannot listen.
std::unique_ptr<FtLayer> attach_metrics_endpoint(const FaultToleranceOptions& o, FtJob& job, TrainHooks& hooks);

FtLayers attach_fault_tolerance(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks);

}  // namespace cairn::train
