// The sections of a step the detector times on each rank, and a window of K steps of
// them reduced to one number per section: the least time the section took in the window.
// Not the median: the noise of a shared host is one-sided and heavy-tailed (a preempted
// step is 5-10x longer, never shorter), so the least of K steps is the estimate that
// noise does not move, as timeit's documentation argues for benchmarks ("higher values
// ... are typically not caused by variability in Python's speed, but by other processes
// interfering"); on a 2-core box running 4 ranks the median of 4 steps moved by 20-50 %
// from window to window and raised false alerts, the least by a few %. A slow GPU, CPU,
// link or data source slows every step, so it raises the least as well. The price: a
// slowdown that spares one step of every window is not seen.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

namespace cairn::ft {

// data: waiting for the batch; forward_backward: the rank's own compute up to the
// reduction (forward, backward, and per-rank work hooked after backward); reduce: the
// loss and gradient reduction as the loop timed it; optimizer: clipping and the update;
// collectives: the time of every collective the communicator ran in the step, from its
// operation observer (collectives/backends/op_observer.h).
enum class Section { data, forward_backward, reduce, optimizer, collectives };
inline constexpr std::size_t kSections = 5;
std::string_view to_string(Section s);
inline Section section_at(std::size_t i) { return static_cast<Section>(i); }

using SectionTimes = std::array<double, kSections>;  // seconds, indexed by Section

class SectionWindow {
 public:
  void add(const SectionTimes& t) { steps_.push_back(t); }
  std::size_t steps() const { return steps_.size(); }
  SectionTimes least() const;  // per section, the least over the steps added; zeros when none
  void clear() { steps_.clear(); }

 private:
  std::vector<SectionTimes> steps_;
};

}  // namespace cairn::ft
