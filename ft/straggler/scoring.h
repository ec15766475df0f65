// Scores of one window: every rank's section medians against the median across ranks
// (robust_stats.h), the typed candidate each rank makes, and the hysteresis that turns
// candidates into suspects. Pure functions of the all_gathered statistics, so every rank
// computes the same scores and agrees on who is suspect (the sniff test that follows is
// collective).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "ft/straggler/sections.h"
#include "ft/straggler/straggler_options.h"

namespace cairn::ft {

struct RankScores {
  SectionTimes z{};         // modified z-score of each section against all ranks
  SectionTimes slowdown{};  // section / median of the other ranks - 1
};

struct WindowScores {
  std::vector<SectionTimes> times;  // per rank: the window's section medians
  std::vector<RankScores> ranks;
  SectionTimes median{};            // per section across ranks
  double step_s = 0;                // the median rank's step: data + forward_backward + reduce + optimizer
};

// A section must also cost the job this share of a step before it is out of line: every
// rank waits for a straggler's excess, so the excess is what it costs, and a data wait of
// 20 us against 5 us is 300 % slower and nothing to wake an operator for (on a 2-core box
// such sections made most of the false alerts of 2,000 clean steps).
inline constexpr double kMinStepShare = 0.01;

// With fewer than 3 ranks the MAD says nothing (see scoring.cpp): the floor scales the score.
WindowScores score_window(const std::vector<SectionTimes>& per_rank);

// compute: the rank's own compute is slow; link: its communication is; data: it waits for
// its batches (the host's storage, CPU or memory).
enum class VerdictType { compute, link, data };
std::string_view to_string(VerdictType t);

struct Candidate {
  int rank = -1;
  VerdictType type = VerdictType::compute;
  Section section = Section::forward_backward;
  double z = 0, slowdown = 0;
};

// Whether a section of rank r is out of line: past the z cut, the least slowdown and
// kMinStepShare of the step.
bool out_of_line(const WindowScores& w, std::size_t r, Section section, const StragglerThresholds& t);

// Each rank's candidate, typed from its own sections first: a rank whose compute is slow
// makes every other rank wait in the reduction (their reduce and collective times rise,
// its own fall), so compute (forward_backward or optimizer) is looked at first, then data,
// and only a rank whose compute and data are in line is a link candidate for its
// collective or reduce time. While any rank is a compute or data candidate, the others'
// collective candidates are that wait and are dropped.
std::vector<std::optional<Candidate>> classify_window(const WindowScores& w, const StragglerThresholds& t);

// Consecutive windows each rank has been a candidate of the same type; a rank is
// suspect once that reaches the hysteresis, so one noisy window raises nothing.
class Hysteresis {
 public:
  explicit Hysteresis(int ranks) : type_(static_cast<std::size_t>(ranks)), count_(static_cast<std::size_t>(ranks), 0) {}
  void update(const std::vector<std::optional<Candidate>>& candidates);
  int count(int rank) const { return count_.at(static_cast<std::size_t>(rank)); }
  bool suspect(int rank, int hysteresis) const { return count(rank) >= hysteresis; }
  // A suspect the sniff test did not confirm starts counting again.
  void reset(int rank) { count_.at(static_cast<std::size_t>(rank)) = 0; }

 private:
  std::vector<std::optional<VerdictType>> type_;
  std::vector<int> count_;
};

}  // namespace cairn::ft
