// The faults of --inject that act on a rank from outside its layers (ft/inject/fault_spec.h):
// kill (SIGKILL at the start of a step) and hang (the rank stops in a step's gradient
// reduction) here; slow-compute and slow-link through train/ft/inject_slow.h. The bitflip,
// corrupt-checkpoint and disk-full faults live in the layers they test (ft/sdc,
// ft/checkpoint).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "train/fault_tolerance.h"
#include "train/ft/inject_slow.h"

namespace cairn::train {

namespace {

void say(const std::string& line) {
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

// Stops the calling thread for good, the way a rank stuck before a collective looks to its
// peers: it never enqueues the operation, while its other threads (a watchdog's heartbeat,
// rank 0's store) go on. SIGTERM keeps its default action and is unblocked here, so a
// launcher stopping the job ends the rank at once.
[[noreturn]] void stop_forever() {
  ::signal(SIGTERM, SIG_DFL);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::pthread_sigmask(SIG_UNBLOCK, &term, nullptr);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

// The hooks hold all these faults need.
void attach_stop_faults(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks) {
  const auto kills = ft::faults_for(o.inject, ft::FaultKind::kill, job.rank);
  const auto hangs = ft::faults_for(o.inject, ft::FaultKind::hang, job.rank);
  const int rank = job.rank;
  for (const ft::FaultSpec& f : kills)
    hooks.before_step.emplace_back([f, rank](std::int64_t step) {
      if (step != f.step) return;
      say(fmt::format("cairn train: --inject {}: rank {} dies (SIGKILL) at the start of step {}\n", f.text, rank,
                      step));
      ::raise(SIGKILL);
    });
  for (const ft::FaultSpec& f : hangs)
    hooks.before_reduce.emplace_back([f, rank](std::int64_t step, Model&) {
      if (step != f.step) return;
      say(fmt::format("cairn train: --inject {}: rank {} stops in step {}'s gradient reduction\n", f.text, rank, step));
      stop_forever();
    });
}

}  // namespace

std::unique_ptr<FtLayer> attach_injections(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks) {
  attach_stop_faults(o, job, hooks);
  return attach_slow_faults(o, job, hooks);
}

}  // namespace cairn::train
