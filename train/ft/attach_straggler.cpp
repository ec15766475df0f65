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
// On a GPU model the host clocks end when work is enqueued, not done (the loop syncs at
// the loss and the clip), so the sections come from CUDA events on the model's stream:
// recorded before the step, after backward, after the reduction and after the optimizer,
// and read one step later, when the step's own sync has long passed them (no sync is
// added). The data wait is the host's and is taken off forward_backward, whose first
// event is recorded before the batch is read. Step 0 and the last step are not timed (the
// model's stream is known from its first backward; the last step's events are never
// read); the warm-up steps are not judged anyway.
// The collectives entry is the observer's, on the gradients' communicator.
//
// One rank alone (a job of one, FtJob::host_comm) has no peer to compare with and never
// alerts; it reports at the end its own noise floor (StragglerDetector::noise_floor())
// and what the detector cost: the one-GPU measurement of both.
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "ft/straggler/detector.h"
#include "probe/clock_events.h"
#include "probe/nvml_loader.h"
#include "train/cpu/gemm.h"
#include "train/cpu/parallel.h"
#include "train/fault_tolerance.h"
#include "train/ft/inject_slow.h"
#include "train/ft/log_line.h"

#if defined(CAIRN_HAVE_CUDA)
#include <cuda_runtime_api.h>

#include "train/cuda/check.h"
#endif

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

#if defined(CAIRN_HAVE_CUDA)
// Four events a step (before, after backward, after the reduction, after the optimizer),
// two steps' worth, so a step's times are read while the next one runs.
class GpuStepEvents {
 public:
  enum Point { begin, backward, reduced, end, kPoints };
  explicit GpuStepEvents(cudaStream_t stream) : stream_(stream) {
    for (auto& slot : events_)
      for (auto& e : slot) CAIRN_CUDA_CHECK(cudaEventCreate(&e));
  }
  ~GpuStepEvents() {
    for (auto& slot : events_)
      for (auto& e : slot) cudaEventDestroy(e);
  }
  GpuStepEvents(const GpuStepEvents&) = delete;
  GpuStepEvents& operator=(const GpuStepEvents&) = delete;

  void record(std::int64_t step, Point p) {
    CAIRN_CUDA_CHECK(cudaEventRecord(events_[slot(step)][p], stream_));
    seen_[slot(step)][p] = step;
  }
  // The step's (forward_backward, reduce, optimizer) seconds, once its four events were
  // recorded (a step without a reduction: its reduce point is its backward point).
  std::optional<std::array<double, 3>> read(std::int64_t step) {
    if (step < 0) return std::nullopt;  // (the slots start at -1: no step yet)
    auto& seen = seen_[slot(step)];
    if (seen[begin] != step || seen[backward] != step || seen[end] != step) return std::nullopt;
    auto& ev = events_[slot(step)];
    const cudaEvent_t red = seen[reduced] == step ? ev[reduced] : ev[backward];
    CAIRN_CUDA_CHECK(cudaEventSynchronize(ev[end]));  // passed already: the next step synced
    const auto ms = [](cudaEvent_t a, cudaEvent_t b) {
      float t = 0;
      CAIRN_CUDA_CHECK(cudaEventElapsedTime(&t, a, b));
      return 1e-3 * t;
    };
    return std::array<double, 3>{ms(ev[begin], ev[backward]), ms(ev[backward], red), ms(red, ev[end])};
  }

 private:
  static std::size_t slot(std::int64_t step) { return static_cast<std::size_t>(step & 1); }
  cudaStream_t stream_;
  std::array<std::array<cudaEvent_t, kPoints>, 2> events_{};
  std::array<std::array<std::int64_t, kPoints>, 2> seen_{{{-1, -1, -1, -1}, {-1, -1, -1, -1}}};
};
#endif

// The bus id of this process's current CUDA device ("0000:3b:00.0"), where the model runs.
std::string current_gpu_bus_id() {
#if defined(CAIRN_HAVE_CUDA)
  int device = 0;
  char bus[32] = {};
  if (cudaGetDevice(&device) == cudaSuccess && cudaDeviceGetPCIBusId(bus, sizeof bus, device) == cudaSuccess)
    return probe::normalize_bus_id(bus);
  (void)cudaGetLastError();
#endif
  return "none";
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
    const std::string bus_id = job.gpu ? current_gpu_bus_id() : "none";
    // Asked on the suspect's rank when the detector confirms a compute verdict (rare: an
    // NVML query of every GPU costs milliseconds).
    if (bus_id != "none") probes.clock_events = [bus_id] { return probe::slowing_clock_events_now(bus_id); };
    detector_ = std::make_unique<ft::StragglerDetector>(*job.host_comm, o.straggler,
                                                        ft::StragglerIdentity{job.host, bus_id}, std::move(probes),
                                                        log_line, job.comm);
    if (auto* board = job.metrics)
      detector_->publish_metrics_to([board](std::string text) { board->publish("straggler", std::move(text)); });
  }
  ~StragglerLayer() override {
    if (rank_ != 0 || steps_s_ <= 0) return;
    const ft::SectionTimes f = detector_->noise_floor();
    const auto pct = [&](ft::Section s) { return 100 * f[static_cast<std::size_t>(s)]; };
    log_line(fmt::format("straggler detector: {} windows, {} sniffs, {} alert{}; its time {:.1f} ms ({:.3f} % of "
                         "{:.1f} s of steps); noise floor (1.4826 MAD/median of this rank's windows): "
                         "forward_backward {:.2f} %, optimizer {:.2f} %, reduce {:.2f} %, collectives {:.2f} %{}",
                         detector_->windows(), detector_->sniffs(), detector_->alerts().size(),
                         detector_->alerts().size() == 1 ? "" : "s", 1e3 * own_s_, 100 * own_s_ / steps_s_, steps_s_,
                         pct(ft::Section::forward_backward), pct(ft::Section::optimizer), pct(ft::Section::reduce),
                         pct(ft::Section::collectives),
                         gpu_ ? " (CUDA events)" : cpu_time_ ? " (thread CPU time)" : " (wall clock)"));
  }

  void before_step(std::int64_t step) {
    const Timed timed(own_s_);
    step_ = step;
    detector_->begin_step();
#if defined(CAIRN_HAVE_CUDA)
    if (gpu_) gpu_->record(step, GpuStepEvents::begin);
#endif
    began_ = now();
  }
  void after_backward(std::int64_t step, Model& model) {
    const Timed timed(own_s_);
#if defined(CAIRN_HAVE_CUDA)
    if (!gpu_ && model.gradients_on_device()) gpu_ = std::make_unique<GpuStepEvents>(static_cast<cudaStream_t>(model.stream()));
    if (gpu_) gpu_->record(step, GpuStepEvents::backward);
#else
    (void)step, (void)model;
#endif
    backward_done_ = now();
  }
  void after_reduce(std::int64_t step) {
    const Timed timed(own_s_);
#if defined(CAIRN_HAVE_CUDA)
    if (gpu_) gpu_->record(step, GpuStepEvents::reduced);
#else
    (void)step;
#endif
    reduced_ = now();
  }
  void after_step(const StepResult& r) {
    steps_s_ += r.seconds;
    const Timed timed(own_s_);
    const double ended = now();
#if defined(CAIRN_HAVE_CUDA)
    if (gpu_) {
      gpu_->record(r.step, GpuStepEvents::end);
      // This step's events are read at the next step's end; the one before, now.
      if (const auto gt = gpu_->read(r.step - 1)) {
        ft::SectionTimes t{};
        t[static_cast<std::size_t>(ft::Section::data)] = previous_data_s_;
        t[static_cast<std::size_t>(ft::Section::forward_backward)] = std::max((*gt)[0] - previous_data_s_, 0.0);
        t[static_cast<std::size_t>(ft::Section::reduce)] = (*gt)[1];
        t[static_cast<std::size_t>(ft::Section::optimizer)] = (*gt)[2];
        detector_->end_step(r.step - 1, t);
      }
      previous_data_s_ = r.sections.data_s;
      return;
    }
#endif
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
  // Adds the wall time of its scope to a total: the layer's own cost, hooks and windows.
  struct Timed {
    explicit Timed(double& total) : total_(total), t0_(Clock::now()) {}
    ~Timed() { total_ += std::chrono::duration<double>(Clock::now() - t0_).count(); }
    double& total_;
    Clock::time_point t0_;
  };
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
  double steps_s_ = 0, own_s_ = 0;  // the steps' seconds; the layer's own, hooks and windows
#if defined(CAIRN_HAVE_CUDA)
  std::unique_ptr<GpuStepEvents> gpu_;
  double previous_data_s_ = 0;
#else
  static constexpr bool gpu_ = false;
#endif
  std::unique_ptr<ft::StragglerDetector> detector_;
};

}  // namespace

std::unique_ptr<FtLayer> attach_straggler_detector(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks) {
  if (!o.straggler.enabled) return nullptr;
  if (!job.host_comm)
    throw Error("--straggler: the job has no host-memory communicator for the detector's exchanges (internal: "
                "FtJob::host_comm is unset)");
  if (job.world < 2 && job.rank == 0)
    log_line("straggler detector: one rank alone has no peer to compare with and raises no alert; it measures "
             "this rank's noise floor and its own cost, printed at the end");
  auto layer = std::make_unique<StragglerLayer>(o, job);
  StragglerLayer* l = layer.get();
  hooks.before_step.emplace_back([l](std::int64_t step) { l->before_step(step); });
  hooks.after_backward.emplace_back([l](std::int64_t step, Model& m) { l->after_backward(step, m); });
  hooks.after_reduce.emplace_back([l](std::int64_t step, Model&) { l->after_reduce(step); });
  hooks.after_step.emplace_back([l](const StepResult& r) { l->after_step(r); });
  return layer;
}

}  // namespace cairn::train
