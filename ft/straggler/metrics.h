// --straggler-metrics FILE (and the --metrics-port endpoint): the detector's state as Prometheus text (the node
// exporter's textfile collector reads *.prom files), rewritten atomically after every
// window so a scrape never reads half a file: per-rank, per-section scores, slowdowns
// and times of the last window, the thresholds in force, and the totals.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ft/straggler/scoring.h"

namespace cairn::ft {

struct MetricsSnapshot {
  std::int64_t step = 0;  // the step the last window ended at (0-based)
  const WindowScores* scores = nullptr;
  const std::vector<std::string>* hosts = nullptr;  // per rank
  StragglerThresholds thresholds;
  long alerts = 0, sniffs = 0, unconfirmed = 0, windows = 0;
  double overhead_s = 0;  // time the detector took from training (windows and sniffs)
  const SectionTimes* noise_floor = nullptr;  // rank 0's (StragglerDetector::noise_floor())
};

std::string render_metrics(const MetricsSnapshot& m);

}  // namespace cairn::ft
