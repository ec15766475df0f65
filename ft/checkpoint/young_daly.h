// The checkpoint interval that loses the least expected time to failures and saves
// together: Young's first-order optimum T = sqrt(2 C M) for a checkpoint cost C (the time
// training is stalled by one save) and a mean time between failures M (J. W. Young, "A
// first order approximation to the optimum checkpoint interval", CACM 17(9), 1974;
// J. T. Daly, "A higher order estimate of the optimum checkpoint interval for restart
// dumps", FGCS 22(3), 2006, whose higher-order terms change T by under 1 % while C < M/2e4,
// as an asynchronous save's stall is). `cairn train --checkpoint-every auto --mtbf D`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cairn::ft {

// sqrt(2 C M) in seconds; C and M in seconds, C >= 0, M > 0.
double young_daly_interval_s(double cost_s, double mtbf_s);

// The interval in whole steps of `step_s` seconds each, at least 1.
std::int64_t interval_steps(double interval_s, double step_s);

// A duration as `--mtbf` takes it: a positive number with an optional unit s, m, h or d
// ("24h", "90m", "3600"). Seconds, or cairn::Error naming `flag` and the fix.
double parse_duration_s(const std::string& text, const std::string& flag);

// Chooses the interval as a run goes: after each save, from that save's stall and the
// mean step time so far (steps with a save's stall left out).
class AutoInterval {
 public:
  explicit AutoInterval(double mtbf_s) : mtbf_s_(mtbf_s) {}
  void add_step(double seconds);
  // The interval from this save's stall; nullopt until a step has been timed.
  std::optional<std::int64_t> after_save(double stall_s);
  double mean_step_s() const { return steps_ ? sum_s_ / static_cast<double>(steps_) : 0; }
  double last_interval_s() const { return last_interval_s_; }

 private:
  double mtbf_s_;
  double sum_s_ = 0;
  std::int64_t steps_ = 0;
  double last_interval_s_ = 0;
};

}  // namespace cairn::ft
