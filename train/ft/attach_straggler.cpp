// Where train meets the straggler detector (ft/straggler/detector.h): the run's hooks
// give it each step's sections, and this file supplies what ft/ cannot know: the compute
// probe (a GEMM of the CPU model's own kernel, train/cpu/gemm.h, stretched by a
// slow-compute injection as the model's kernels are), the rank's GPU bus id and NVML
// clock-event reasons (on the CPU: none).
//
// The forward_backward section is taken from the step's start to the detector's own
// after_backward hook, data wait removed: it holds the model's forward and backward and
// the per-rank work other layers hooked after backward (an injected slowdown, checked
// gradients' fingerprints), all of it this rank's own compute before the reduction.
//
// GPU seam: on a CUDA model these host clocks end when the work is enqueued, not done;
// there the sections come from CUDA events recorded on the model's stream (before_step,
// after_backward, around the reduction, after the optimizer) and read back at the window,
// the bus id from the rank's device (cudaDeviceGetPCIBusId) and the clock events from
// probe/nvml_loader.h's throttle reasons. Not built yet: with --device cuda the detector
// times host clocks, which bound the GPU's times from above only where the loop syncs.
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <vector>

#include "ft/straggler/detector.h"
#include "train/cpu/gemm.h"
#include "train/fault_tolerance.h"
#include "train/ft/inject_slow.h"

namespace cairn::train {
namespace {

using Clock = std::chrono::steady_clock;

// The compute probe: C = A B with 128 x 128 floats (4.2 MFLOP, a few ms on one core),
// on buffers made once.
class GemmProbe {
 public:
  static constexpr std::int64_t kN = 128;
  GemmProbe() : a_(kN * kN, 0.5f), b_(kN * kN, 0.25f), c_(kN * kN) {}
  double run() {
    const auto t0 = Clock::now();
    cpu::gemm_nn(a_.data(), b_.data(), kN, kN, kN, c_.data());
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }

 private:
  std::vector<float> a_, b_, c_;
};

void log_line(const std::string& line) {
  static std::mutex mu;  // the hook's thread logs too
  std::lock_guard lock(mu);
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
}

class StragglerLayer : public FtLayer {
 public:
  StragglerLayer(const FaultToleranceOptions& o, const FtJob& job)
      : inject_(o.inject), rank_(job.rank) {
    ft::StragglerProbes probes;
    probes.compute = [this] {
      const auto t0 = Clock::now();
      const double gemm = probe_.run();
      stretch_by(slow_compute_factor(inject_, rank_, step_), gemm);
      return std::chrono::duration<double>(Clock::now() - t0).count();
    };
    detector_ = std::make_unique<ft::StragglerDetector>(*job.comm, o.straggler, ft::StragglerIdentity{job.host, "none"},
                                                        std::move(probes), log_line);
  }

  void before_step(std::int64_t step) {
    step_ = step;
    began_ = Clock::now();
    detector_->begin_step();
  }
  void after_backward() { backward_done_ = Clock::now(); }
  void after_step(const StepResult& r) {
    const double since_start = std::chrono::duration<double>(backward_done_ - began_).count();
    ft::SectionTimes t{};
    t[static_cast<std::size_t>(ft::Section::data)] = r.sections.data_s;
    t[static_cast<std::size_t>(ft::Section::forward_backward)] =
        std::max(r.sections.forward_backward_s, since_start - r.sections.data_s);
    t[static_cast<std::size_t>(ft::Section::reduce)] = r.sections.reduce_s;
    t[static_cast<std::size_t>(ft::Section::optimizer)] = r.sections.optimizer_s;
    detector_->end_step(r.step, t);
  }

 private:
  std::vector<ft::FaultSpec> inject_;
  int rank_;
  std::int64_t step_ = 0;
  GemmProbe probe_;
  Clock::time_point began_{}, backward_done_{};
  std::unique_ptr<ft::StragglerDetector> detector_;
};

}  // namespace

std::unique_ptr<FtLayer> attach_straggler_detector(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks) {
  if (!o.straggler.enabled) return nullptr;
  if (!job.comm || job.world < 2) {
    if (job.rank == 0) log_line("straggler detector: one rank alone has no peer to compare with; it stays off");
    return nullptr;
  }
  auto layer = std::make_unique<StragglerLayer>(o, job);
  StragglerLayer* l = layer.get();
  hooks.before_step.emplace_back([l](std::int64_t step) { l->before_step(step); });
  hooks.after_backward.emplace_back([l](std::int64_t, Model&) { l->after_backward(); });
  hooks.after_step.emplace_back([l](const StepResult& r) { l->after_step(r); });
  return layer;
}

}  // namespace cairn::train
