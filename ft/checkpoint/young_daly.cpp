#include "ft/checkpoint/young_daly.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/error.h"

namespace cairn::ft {

double young_daly_interval_s(double cost_s, double mtbf_s) { return std::sqrt(2.0 * std::max(cost_s, 0.0) * mtbf_s); }

std::int64_t interval_steps(double interval_s, double step_s) {
  if (!(step_s > 0) || !std::isfinite(interval_s)) return 1;
  const double steps = std::round(interval_s / step_s);
  if (steps >= 1e15) return static_cast<std::int64_t>(1e15);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(steps));
}

double parse_duration_s(const std::string& text, const std::string& flag) {
  const std::string fix = " is not a duration: give a positive number of seconds, or one with a unit s, m, h or d "
                          "(e.g. 24h)";
  if (text.empty()) throw Error(flag + " \"\"" + fix);
  double unit = 1;
  std::string number = text;
  switch (text.back()) {
    case 's': unit = 1, number.pop_back(); break;
    case 'm': unit = 60, number.pop_back(); break;
    case 'h': unit = 3600, number.pop_back(); break;
    case 'd': unit = 86400, number.pop_back(); break;
    default: break;
  }
  char* end = nullptr;
  const double v = number.empty() ? std::nan("") : std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(v))
    throw Error(flag + " " + text + fix);
  if (!(v > 0) || v * unit > 1e12)
    throw Error(flag + " " + text + " is out of range: it must be above 0 and at most 1e12 seconds (e.g. 24h)");
  return v * unit;
}

void AutoInterval::add_step(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) return;
  sum_s_ += seconds;
  ++steps_;
}

std::optional<std::int64_t> AutoInterval::after_save(double stall_s) {
  if (steps_ == 0) return std::nullopt;
  last_interval_s_ = young_daly_interval_s(stall_s, mtbf_s_);
  return interval_steps(last_interval_s_, mean_step_s());
}

}  // namespace cairn::ft
