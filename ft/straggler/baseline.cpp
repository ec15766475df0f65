#include "ft/straggler/baseline.h"

#include <algorithm>

#include "ft/alerting/robust_stats.h"

namespace cairn::ft {
namespace {

double ratio(double x, double median) { return median > 0 ? x / median : 1.0; }

}  // namespace

RankBaselines::RankBaselines(int ranks, int windows)
    : windows_(std::max(windows, 1)),
      first_(static_cast<std::size_t>(ranks)),
      base_(static_cast<std::size_t>(ranks), SectionTimes{1, 1, 1, 1, 1}) {}

std::vector<SectionTimes> RankBaselines::ratios_of(const std::vector<SectionTimes>& per_rank) {
  std::vector<SectionTimes> out(per_rank.size());
  for (std::size_t s = 0; s < kSections; ++s) {
    std::vector<double> all;
    for (const auto& t : per_rank) all.push_back(t[s]);
    const double med = median_of(all);
    for (std::size_t r = 0; r < per_rank.size(); ++r) out[r][s] = ratio(per_rank[r][s], med);
  }
  return out;
}

std::vector<SectionTimes> RankBaselines::normalise(const std::vector<SectionTimes>& per_rank) const {
  if (!ready()) return per_rank;
  std::vector<SectionTimes> out = per_rank;
  for (std::size_t r = 0; r < out.size() && r < base_.size(); ++r)
    for (std::size_t s = 0; s < kSections; ++s)
      if (base_[r][s] > 0) out[r][s] /= base_[r][s];
  return out;
}

void RankBaselines::learn(const std::vector<SectionTimes>& per_rank, const std::vector<bool>& in_line) {
  const auto ratios = ratios_of(per_rank);
  if (!ready()) {
    for (std::size_t r = 0; r < ratios.size() && r < first_.size(); ++r) first_[r].push_back(ratios[r]);
    if (++seen_ < windows_) return;
    // The median of B windows: one window of a preempted rank does not set its baseline.
    for (std::size_t r = 0; r < first_.size(); ++r)
      for (std::size_t s = 0; s < kSections; ++s) {
        std::vector<double> v;
        for (const auto& w : first_[r]) v.push_back(w[s]);
        base_[r][s] = median_of(std::move(v));
      }
    first_.clear();
    return;
  }
  for (std::size_t r = 0; r < ratios.size() && r < base_.size(); ++r) {
    if (r >= in_line.size() || !in_line[r]) continue;
    for (std::size_t s = 0; s < kSections; ++s) base_[r][s] += kBaselineWeight * (ratios[r][s] - base_[r][s]);
  }
}

void RankBaselines::rebase(const std::vector<SectionTimes>& per_rank, int rank) {
  if (!ready()) return;
  base_.at(static_cast<std::size_t>(rank)) = ratios_of(per_rank).at(static_cast<std::size_t>(rank));
}

}  // namespace cairn::ft
