// Where train meets the straggler detector (ft/straggler/detector.h): the run's hooks
// give it each step's sections, and this file supplies what ft/ cannot know: the compute
// probe (a GEMM of the CPU model's own kernel, train/cpu/gemm.h, stretched by a
// slow-compute injection as the model's kernels are), the rank's GPU bus id and NVML
// clock-event reasons (on the CPU: none).
//
// The compute sections are this rank's own work: forward_backward from the step's start
// to the detector's own after_backward hook (the batch's read, forward, backward, and
// what other layers hooked after backward: an injected slowdown, checked gradients'
// fingerprints), optimizer from the end of the reduction to the step's end. On the host
// they are the CPU time of the training thread (CLOCK_THREAD_CPUTIME_ID) when the model
// runs on that one thread (--threads 1): CPU time is what a slower processor raises and
// what other processes on the same cores do not (time spent runnable but not running is
// not in it), the host's analogue of timing kernels with CUDA events rather than host
// clocks. On a 2-core box running 4 ranks and a compiler, wall-clock compute sections
// were 30-60 % apart between ranks for seconds at a time, more than the 25 % slowdown to
// be found. With more threads (whose CPU time the calling thread's does not hold) they
// are wall-clock times. Data wait, reduce and collectives are wall-clock: waiting is
// what they measure.
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
#include "train/cpu/parallel.h"
#include "train/fault_tolerance.h"
#include "train/ft/inject_slow.h"

namespace cairn::train {
namespace {

using Clock = std::chrono::steady_clock;

// The compute probe: C = A B with 192 x 192 floats (14 MFLOP, about a millisecond on one
// core), on buffers made once.
class GemmProbe {
 public:
  static constexpr std::int64_t kN = 192;
  GemmProbe() : a_(kN * kN, 0.5f), b_(kN * kN, 0.25f), c_(kN * kN) {}
  void run() { cpu::gemm_nn(a_.data(), b_.data(), kN, kN, kN, c_.data()); }

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
      : inject_(o.inject), rank_(job.rank), cpu_time_(cpu::cpu_threads() == 1) {
    ft::StragglerProbes probes;
    probes.compute = [this] {
      const double t0 = now();
      probe_.run();
      stretch_by(slow_compute_factor(inject_, rank_, step_), now() - t0);
      return now() - t0;
    };
    detector_ = std::make_unique<ft::StragglerDetector>(*job.comm, o.straggler, ft::StragglerIdentity{job.host, "none"},
                                                        std::move(probes), log_line);
  }

  void before_step(std::int64_t step) {
    step_ = step;
    detector_->begin_step();
    began_ = now();
  }
  void after_backward() { backward_done_ = now(); }
  void after_reduce() { reduced_ = now(); }
  void after_step(const StepResult& r) {
    const double ended = now();
    ft::SectionTimes t{};
    t[static_cast<std::size_t>(ft::Section::data)] = r.sections.data_s;
    t[static_cast<std::size_t>(ft::Section::reduce)] = r.sections.reduce_s;
    if (cpu_time_) {
      t[static_cast<std::size_t>(ft::Section::forward_backward)] = backward_done_ - began_;
      t[static_cast<std::size_t>(ft::Section::optimizer)] = ended - reduced_;
    } else {  // wall clock: the hooks' span holds the data wait, the trainer's section does not
      t[static_cast<std::size_t>(ft::Section::forward_backward)] =
          std::max(r.sections.forward_backward_s, backward_done_ - began_ - r.sections.data_s);
      t[static_cast<std::size_t>(ft::Section::optimizer)] = r.sections.optimizer_s;
    }
    detector_->end_step(r.step, t);
  }

 private:
  // Seconds on the clock the sections use: the thread's CPU time or the steady clock.
  double now() const {
    return cpu_time_ ? thread_cpu_seconds() : std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
  }

  std::vector<ft::FaultSpec> inject_;
  int rank_;
  bool cpu_time_;
  std::int64_t step_ = 0;
  GemmProbe probe_;
  double began_ = 0, backward_done_ = 0, reduced_ = 0;
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
  hooks.after_reduce.emplace_back([l](std::int64_t, Model&) { l->after_reduce(); });
  hooks.after_step.emplace_back([l](const StepResult& r) { l->after_step(r); });
  return layer;
}

}  // namespace cairn::train
