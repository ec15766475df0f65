#include "ft/divergence/divergence_options.h"

#include "common/atomic_file.h"
#include "common/error.h"
#include "ft/alerting/flag_checks.h"

namespace cairn::ft {

void check_divergence_options(const DivergenceOptions& o) {
  const SpikeThresholds& t = o.thresholds;
  require_in_range("--divergence-window", t.window, 3, 1e6, "recent steps the baseline median and MAD are taken over");
  require_in_range("--divergence-warmup", t.warmup, 3, 1e6, "values in the window before a step is judged");
  if (t.warmup > t.window)
    throw Error("--divergence-warmup " + std::to_string(t.warmup) + " is larger than --divergence-window " +
                std::to_string(t.window) + ": the window holds at most that many values; lower the warm-up");
  require_positive("--divergence-threshold", t.z, 1e6, "the modified z-score cut, 6 by default");
  require_in_range("--divergence-loss-ratio", t.loss_ratio, 1, 1e6, "the least loss / median alerted, 1.25 for +25 %");
  require_in_range("--divergence-grad-norm-ratio", t.grad_norm_ratio, 1, 1e6,
                   "the least gradient norm / median alerted, 5 for five times the median");
  require_in_range("--divergence-cooldown", t.cooldown, 0, 1e6, "steps after an alert before the same series alerts again");
  require_positive("--divergence-hook-timeout-s", o.hook_timeout_s, 3600, "seconds before a hook is killed");
  require_plain_command("--divergence-hook", o.hook);
  if (!o.events.empty()) AtomicFile::check_writable(o.events);
}

}  // namespace cairn::ft
