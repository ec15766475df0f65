#include "ft/straggler/scoring.h"

#include <array>

#include "ft/alerting/robust_stats.h"

namespace cairn::ft {

std::string_view to_string(VerdictType t) {
  switch (t) {
    case VerdictType::compute: return "compute";
    case VerdictType::link: return "link";
    case VerdictType::data: return "data";
  }
  return "unknown";
}

WindowScores score_window(const std::vector<SectionTimes>& per_rank) {
  WindowScores w;
  w.times = per_rank;
  w.ranks.resize(per_rank.size());
  std::vector<double> steps;
  for (const auto& t : per_rank)
    steps.push_back(t[static_cast<std::size_t>(Section::data)] + t[static_cast<std::size_t>(Section::forward_backward)] +
                    t[static_cast<std::size_t>(Section::reduce)] + t[static_cast<std::size_t>(Section::optimizer)]);
  w.step_s = median_of(std::move(steps));
  for (std::size_t s = 0; s < kSections; ++s) {
    std::vector<double> all;
    all.reserve(per_rank.size());
    for (const auto& t : per_rank) all.push_back(t[s]);
    // Two ranks' MAD is half their difference, which caps |M| at 0.6745 whatever it is:
    // there the floor alone scales the score (the slowdown gate decides, in effect).
    const double med = median_of(all), mad = all.size() >= 3 ? mad_of(all) : 0.0;
    w.median[s] = med;
    for (std::size_t r = 0; r < per_rank.size(); ++r) {
      std::vector<double> others;
      others.reserve(all.size());
      for (std::size_t q = 0; q < all.size(); ++q)
        if (q != r) others.push_back(all[q]);
      w.ranks[r].z[s] = modified_z(all[r], med, mad);
      w.ranks[r].slowdown[s] = slowdown_vs(all[r], others);
    }
  }
  return w;
}

bool out_of_line(const WindowScores& w, std::size_t r, Section section, const StragglerThresholds& t) {
  const auto i = static_cast<std::size_t>(section);
  const RankScores& s = w.ranks.at(r);
  const double excess = w.times.at(r)[i] - w.median[i];
  return s.z[i] > t.z && s.slowdown[i] > t.min_slowdown && excess >= kMinStepShare * w.step_s;
}

namespace {

// The section of `choices` out of line with the largest slowdown, if any.
std::optional<Candidate> worst_of(const WindowScores& w, int rank, VerdictType type,
                                  std::initializer_list<Section> choices, const StragglerThresholds& t) {
  std::optional<Candidate> best;
  const RankScores& s = w.ranks[static_cast<std::size_t>(rank)];
  for (Section sec : choices) {
    if (!out_of_line(w, static_cast<std::size_t>(rank), sec, t)) continue;
    const auto i = static_cast<std::size_t>(sec);
    if (!best || s.slowdown[i] > best->slowdown) best = Candidate{rank, type, sec, s.z[i], s.slowdown[i]};
  }
  return best;
}

}  // namespace

std::vector<std::optional<Candidate>> classify_window(const WindowScores& w, const StragglerThresholds& t) {
  std::vector<std::optional<Candidate>> out(w.ranks.size());
  bool someone_waited_for = false;
  for (std::size_t r = 0; r < w.ranks.size(); ++r) {
    const int rank = static_cast<int>(r);
    if (auto c = worst_of(w, rank, VerdictType::compute, {Section::forward_backward, Section::optimizer}, t))
      out[r] = c;
    else if (auto d = worst_of(w, rank, VerdictType::data, {Section::data}, t))
      out[r] = d;
    else
      out[r] = worst_of(w, rank, VerdictType::link, {Section::collectives, Section::reduce}, t);
    if (out[r] && out[r]->type != VerdictType::link) someone_waited_for = true;
  }
  if (someone_waited_for)
    for (auto& c : out)
      if (c && c->type == VerdictType::link) c.reset();
  return out;
}

void Hysteresis::update(const std::vector<std::optional<Candidate>>& candidates) {
  for (std::size_t r = 0; r < count_.size(); ++r) {
    const auto& c = r < candidates.size() ? candidates[r] : std::nullopt;
    if (!c) {
      type_[r].reset();
      count_[r] = 0;
    } else if (type_[r] == c->type) {
      ++count_[r];
    } else {
      type_[r] = c->type;
      count_[r] = 1;
    }
  }
}

}  // namespace cairn::ft
