// Each rank's own baseline, against which fail-slow is judged as a *change* (GREYHOUND,
// ATC'25: a fail-slow shows as a change in a rank's iteration time; a persistent
// heterogeneity is calibrated out). A rank's cross-rank ratio in a section (its time over
// the median of all ranks' that window) is normalised by that ratio's baseline: the median
// over its first B judged windows, then an EWMA that moves only while the rank is in line,
// so a lasting slowdown is never absorbed by it.
//
// Why: 4 ranks time-sharing 2 vCPUs split into placement groups whose per-step CPU time
// differs by up to 1.7x (docs/ft.md), stable within a run and different per run: larger
// than the 25 % to find, so no comparison across ranks alone separates a straggler from
// where the scheduler put it. Divided by its own baseline, a rank placed 1.7x slow scores
// 1.0 and the same rank after a 25 % slowdown 1.25.
#pragma once

#include <cstddef>
#include <vector>

#include "ft/straggler/sections.h"

namespace cairn::ft {

// EWMA weight of a new in-line window: a memory of ~16 windows, so a drift of placement is
// followed within a minute of steps; it never moves while the rank is a candidate, so a
// lasting slowdown is not absorbed (an unconfirmed one is: rebase()).
inline constexpr double kBaselineWeight = 1.0 / 16;

class RankBaselines {
 public:
  RankBaselines(int ranks, int windows);

  // Every rank's ratio in every section: time / median over ranks (1 where the median is 0).
  static std::vector<SectionTimes> ratios_of(const std::vector<SectionTimes>& per_rank);

  bool ready() const { return seen_ >= windows_; }
  // The times divided by each rank's baseline ratio (the times as given until ready()).
  std::vector<SectionTimes> normalise(const std::vector<SectionTimes>& per_rank) const;
  // Learns from a window: during the first B windows every rank's ratios; after, the EWMA
  // of the ranks with in_line[r] true.
  void learn(const std::vector<SectionTimes>& per_rank, const std::vector<bool>& in_line);
  // Takes this window's ratios of `rank` as its baseline: the sniff found its compute in
  // line, so the change was the host's (a scheduler move), not a fail-slow.
  void rebase(const std::vector<SectionTimes>& per_rank, int rank);
  const SectionTimes& of(int rank) const { return base_.at(static_cast<std::size_t>(rank)); }

 private:
  int windows_;
  int seen_ = 0;
  std::vector<std::vector<SectionTimes>> first_;  // per rank: the ratios of the first B windows
  std::vector<SectionTimes> base_;                // per rank: the baseline ratio of each section
};

}  // namespace cairn::ft
