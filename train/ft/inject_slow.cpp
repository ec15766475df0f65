#include "train/ft/inject_slow.h"

#include <time.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace cairn::train {
namespace {


// Delays every operation of the rank by (F - 1) x the last undelayed time of the same
// kind and size (inject_slow.h).
class SlowLinkObserver : public coll::OpObserver {
 public:
  SlowLinkObserver(double factor, std::int64_t from) : factor_(factor), from_(from) {}
  void set_step(std::int64_t step) { step_.store(step, std::memory_order_relaxed); }

  void on_start(const coll::OpRecord& r) noexcept override {
    double delay = 0;
    {
      std::lock_guard lock(mu_);
      const auto it = undelayed_.find({r.kind, r.bytes});
      if (it != undelayed_.end() && step_.load(std::memory_order_relaxed) >= from_) delay = (factor_ - 1) * it->second;
      delays_[r.seq] = delay;
    }
    if (delay > 0) std::this_thread::sleep_for(std::chrono::duration<double>(delay));
  }
  void on_end(const coll::OpRecord& r) noexcept override {
    std::lock_guard lock(mu_);
    double delay = 0;
    if (const auto it = delays_.find(r.seq); it != delays_.end()) {
      delay = it->second;
      delays_.erase(it);
    }
    if (r.failed) return;
    const double took = std::chrono::duration<double>(r.end - r.start).count() - delay;
    undelayed_[{r.kind, r.bytes}] = took > 0 ? took : 0;
  }

 private:
  const double factor_;
  const std::int64_t from_;
  std::atomic<std::int64_t> step_{0};
  std::mutex mu_;
  std::map<std::pair<coll::OpKind, std::size_t>, double> undelayed_;
  std::map<std::uint64_t, double> delays_;  // by sequence number, start to end
};

class SlowFaults : public FtLayer {
 public:
  SlowFaults(coll::Communicator* comm, std::shared_ptr<SlowLinkObserver> link) : comm_(comm), link_(std::move(link)) {
    if (comm_ && link_) comm_->add_observer(link_);
  }
  ~SlowFaults() override {
    if (comm_ && link_) comm_->remove_observer(link_.get());
  }
  double step_began_cpu = 0;

 private:
  coll::Communicator* comm_;
  std::shared_ptr<SlowLinkObserver> link_;
};

}  // namespace

double slow_compute_factor(const std::vector<ft::FaultSpec>& inject, int rank, std::int64_t step) {
  double f = 1;
  for (const auto& s : ft::faults_for(inject, ft::FaultKind::slow_compute, rank))
    if (step >= s.step) f *= s.factor;
  return f;
}

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

void stretch_by(double factor, double seconds) {
  if (!(factor > 1 && seconds > 0)) return;
  const double until = thread_cpu_seconds() + (factor - 1) * seconds;
  volatile double sink = 0;
  while (thread_cpu_seconds() < until)
    for (int i = 0; i < 1000; ++i) sink = sink + 1.0;  // work, as slow kernels would do
}

std::unique_ptr<FtLayer> attach_slow_faults(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks) {
  const auto compute = ft::faults_for(o.inject, ft::FaultKind::slow_compute, job.rank);
  const auto links = ft::faults_for(o.inject, ft::FaultKind::slow_link, job.rank);
  if (compute.empty() && links.empty()) return nullptr;
  std::shared_ptr<SlowLinkObserver> link;
  if (!links.empty() && job.comm) {
    double factor = 1;
    std::int64_t from = links.front().step;
    for (const auto& s : links) {
      factor *= s.factor;
      from = std::min(from, s.step);
    }
    link = std::make_shared<SlowLinkObserver>(factor, from);
  }
  auto layer = std::make_unique<SlowFaults>(job.comm, link);
  SlowFaults* state = layer.get();
  hooks.before_step.emplace_back([state, link](std::int64_t step) {
    state->step_began_cpu = thread_cpu_seconds();
    if (link) link->set_step(step);
  });
  if (!compute.empty()) {
    const std::vector<ft::FaultSpec> inject = o.inject;
    const int rank = job.rank;
    hooks.after_backward.emplace_back([state, inject, rank](std::int64_t step, Model&) {
      // The CPU time of this step so far on this thread: the batch's read and the
      // forward and backward (with --threads > 1 the other threads' share is not in it,
      // and the slowdown is smaller than asked).
      stretch_by(slow_compute_factor(inject, rank, step), thread_cpu_seconds() - state->step_began_cpu);
    });
  }
  return layer;
}

}  // namespace cairn::train
