// What the straggler detector (ft/straggler/) is asked to do: `cairn train --straggler-*`
// (docs/ft.md, "Straggler detector"). Owned by ft/straggler; train/ft/attach_straggler.cpp
// turns it on.
#pragma once

#include <string>

namespace cairn::ft {

// The thresholds a running job may change through --straggler-control (control_file.h).
struct StragglerThresholds {
  // Iglewicz & Hoaglin's cut for the modified z-score: |M| > 3.5 marks an outlier.
  double z = 3.5;
  // The least slowdown worth an alert (0.10: 10 % slower than the median of the others):
  // a z-score alone would flag a rank 1 % off a perfectly quiet group.
  double min_slowdown = 0.10;
  // Consecutive windows a rank must be out of line in before it is suspect.
  int hysteresis = 2;
};

struct StragglerOptions {
  bool enabled = false;        // --straggler, or implied by any output below
  int every = 4;               // --straggler-every K: steps per window (one all_gather)
  int warmup = 2;              // --straggler-warmup: first steps not judged (allocation, caches)
  // --straggler-baseline-windows B: judged windows (and sniffs) whose median sets each
  // rank's own baseline ratio (baseline.h); a change from it is what is scored after.
  int baseline_windows = 3;
  // --straggler-static-slowdown: the bar for a rank slow from the start, on the plain
  // score across ranks (its baseline holds the slowdown, so no change shows): set above the
  // spread that placement alone makes on the hosts (50 % on homogeneous cluster nodes; the
  // 2-core CI VM splits 4 ranks up to 1.7x, so its tests give 1.0).
  double static_slowdown = 0.5;
  StragglerThresholds thresholds;
  int sniff_kib = 256;        // --straggler-sniff-kib: bytes of each sniff exchange, KiB
  std::string events;          // --straggler-events FILE: one JSON line per alert
  std::string metrics;         // --straggler-metrics FILE: Prometheus textfile, rewritten per window
  std::string hook;            // --straggler-hook CMD: run with the alert's JSON on stdin
  double hook_timeout_s = 10;  // --straggler-hook-timeout-s: then the hook is killed
  std::string control;         // --straggler-control FILE: key=value thresholds, read per window
};

// cairn::Error naming the flag and the fix unless every value is in range and every
// output file can be written (checked before training starts).
void check_straggler_options(const StragglerOptions& o);

}  // namespace cairn::ft
