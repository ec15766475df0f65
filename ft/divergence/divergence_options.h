// What the divergence detector (ft/divergence/) is asked to do: `cairn train
// --divergence-*` (docs/monitoring.md, "Divergence"). Owned by ft/divergence;
// train/ft/attach_divergence.cpp turns it on.
#pragma once

#include <string>

namespace cairn::ft {

// When a step's value is a spike: judged against the median and MAD of the last `window`
// values of the same series, once `warmup` values are in it.
struct SpikeThresholds {
  int window = 64;   // about 3 % of a 2,000-step run; long enough for a MAD of 32+ deviations
  int warmup = 16;   // the least values the median and MAD are taken of
  // The modified z-score cut. Iglewicz & Hoaglin's 3.5 finds outliers in a sample; a
  // detector that judges every step of a long run needs a far rarer event: 6 is ~6
  // standard deviations on normal data (~1e-9 a step), and the per-step loss of a healthy
  // run has heavier tails than normal, which the ratios below guard against too.
  double z = 6.0;
  // The least value / median for an alert (measured, docs/monitoring.md): a clean tiny
  // run's loss reaches 1.17x its window's median, so 1.25x; a gradient norm varies far
  // more step to step (it is what clipping bounds): clean tiny runs of batch 8 x 64
  // tokens on the test shards reach 2.8x and 3.8x, so 5x. A large batch is smoother, and
  // may lower both.
  double loss_ratio = 1.25;
  double grad_norm_ratio = 5.0;
  // After an alert, steps in which the same series raises no other: a spike that lasts a
  // few steps, or rings after the optimizer's reaction, is one alert.
  int cooldown = 16;
};

struct DivergenceOptions {
  bool enabled = false;  // --divergence, or implied by --divergence-events / --divergence-hook
  SpikeThresholds thresholds;
  std::string events;          // --divergence-events FILE: one JSON line per alert
  std::string hook;            // --divergence-hook CMD: run with the alert's JSON on stdin
  double hook_timeout_s = 10;  // --divergence-hook-timeout-s: then the hook is killed
};

// cairn::Error naming the flag and the fix unless every value is in range and the events
// file can be written (checked before training starts).
void check_divergence_options(const DivergenceOptions& o);

}  // namespace cairn::ft
