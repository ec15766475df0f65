// Where train meets the divergence detector (ft/divergence/): after each step it judges
// the step's loss and gradient norm; a NaN/Inf step reaches it through on_non_finite just
// before the trainer stops the run. Rank 0 alone judges and raises: the loss and
// gradient norm are the reduced ones, the same on every rank, so one rank's alerts are
// the job's (as one rank writes the straggler alerts).
#include <memory>

#include "train/fault_tolerance.h"
#include "ft/divergence/alarm.h"
#include "train/ft/log_line.h"

namespace cairn::train {
namespace {

class DivergenceLayer final : public FtLayer {
 public:
  DivergenceLayer(const ft::DivergenceOptions& o, const FtJob& job)
      : detector_(o.thresholds), alarm_(o, log_line), board_(job.metrics) {
    publish();  // the counts are 0 from the start, not missing until an alert
  }
  void observe(const StepResult& r) {
    for (const auto& a : detector_.observe(r.step, r.loss, r.grad_norm)) alarm_.raise(a);
    publish();
  }

 private:
  void publish() {
    if (board_) board_->publish("divergence", alarm_.metrics_text(detector_));
  }
  ft::DivergenceDetector detector_;
  ft::DivergenceAlarm alarm_;
  exposition::MetricsBoard* board_;
};

}  // namespace

std::unique_ptr<FtLayer> attach_divergence_detector(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks) {
  if (!o.divergence.enabled || job.rank != 0) return nullptr;
  auto layer = std::make_unique<DivergenceLayer>(o.divergence, job);
  DivergenceLayer* l = layer.get();
  hooks.after_step.emplace_back([l](const StepResult& r) { l->observe(r); });
  hooks.on_non_finite.emplace_back([l](const StepResult& r) { l->observe(r); });
  return layer;
}

}  // namespace cairn::train
