#include "tuner/model/segmented_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cairn::tuner {
namespace {

double squared_rel_error(std::span<const SizeTime> p, const AlphaBetaFit& f) {
  double s = 0;
  for (const SizeTime& q : p) {
    const double e = (f.predict_us(q.bytes) - q.time_us) / q.time_us;
    s += e * e;
  }
  return s;
}

int distinct_x(std::span<const SizeTime> p) {
  int n = p.empty() ? 0 : 1;
  for (std::size_t i = 1; i < p.size(); ++i) n += p[i].bytes != p[i - 1].bytes;
  return n;
}

double boundary(double below, double above) {
  return below > 0 && above > 0 ? std::sqrt(below * above) : 0.5 * (below + above);
}

}  // namespace

const AlphaBetaFit& SegmentedFit::at(double x) const {
  for (std::size_t k = 0; k + 1 < segments.size(); ++k)
    if (x <= boundary(segments[k].to_x, segments[k + 1].from_x)) return segments[k].fit;
  return segments.back().fit;
}

SegmentedFit fit_segments(std::span<const SizeTime> points, int min_points, double penalty) {
  std::vector<SizeTime> p;
  for (const SizeTime& q : points)
    if (q.time_us > 0 && std::isfinite(q.time_us) && q.bytes >= 0 && std::isfinite(q.bytes)) p.push_back(q);
  std::sort(p.begin(), p.end(), [](const SizeTime& a, const SizeTime& b) { return a.bytes < b.bytes; });
  SegmentedFit out;
  if (p.empty()) return out;
  const std::size_t n = p.size();
  const std::span<const SizeTime> all(p);
  // cost[j]: the best cost of the first j points; start[j]: where its last segment starts.
  // A segment never splits points of equal x.
  std::vector<double> cost(n + 1, std::numeric_limits<double>::infinity());
  std::vector<std::size_t> start(n + 1, 0);
  cost[0] = 0;
  for (std::size_t j = 1; j <= n; ++j) {
    if (j < n && p[j].bytes == p[j - 1].bytes) continue;
    for (std::size_t i = 0; i < j; ++i) {
      if (!std::isfinite(cost[i]) || (i > 0 && p[i].bytes == p[i - 1].bytes)) continue;
      const std::span<const SizeTime> seg = all.subspan(i, j - i);
      // Fewer distinct sizes than asked only where the whole set is that small.
      if (distinct_x(seg) < std::min(min_points, distinct_x(all))) continue;
      const double c = cost[i] + squared_rel_error(seg, fit_alpha_beta(seg)) + penalty;
      if (c < cost[j]) {
        cost[j] = c;
        start[j] = i;
      }
    }
  }
  if (!std::isfinite(cost[n])) {  // no admissible split: one segment
    out.segments.push_back({p.front().bytes, p.back().bytes, fit_alpha_beta(all)});
    return out;
  }
  for (std::size_t j = n; j > 0; j = start[j]) {
    const std::span<const SizeTime> seg = all.subspan(start[j], j - start[j]);
    out.segments.push_back({seg.front().bytes, seg.back().bytes, fit_alpha_beta(seg)});
  }
  std::reverse(out.segments.begin(), out.segments.end());
  return out;
}

}  // namespace cairn::tuner
