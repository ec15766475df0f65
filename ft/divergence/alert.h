// A divergence alert, in the forms an operator reads: one log line, one JSON line of the
// event stream (and the hook's stdin), as the straggler detector's alerts are
// (ft/straggler/alert.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/json_io.h"

namespace cairn::ft {

enum class DivergenceKind { loss_spike, grad_norm_spike, non_finite };
inline constexpr DivergenceKind kDivergenceKinds[] = {DivergenceKind::loss_spike, DivergenceKind::grad_norm_spike,
                                                      DivergenceKind::non_finite};
std::string_view to_string(DivergenceKind k);

struct DivergenceAlert {
  std::int64_t step = 0;  // 1-based, as the progress table and --loss-log number steps
  DivergenceKind kind = DivergenceKind::loss_spike;
  std::string metric;     // "loss" or "grad_norm"
  double value = 0;       // NaN or +-Inf for non_finite
  double median = 0;      // the baseline: median of the window (0 before the warm-up)
  double mad = 0;
  double z = 0;           // modified z-score against the window (0 for non_finite)
  double ratio = 0;       // value / median (0 for non_finite)
  int samples = 0;        // values in the window it was judged against
};

// {"schema":"cairn.divergence_alert","schema_version":1,"step":..,"kind":..,"metric":..,
//  "value":..,"median":..,"mad":..,"z":..,"ratio":..,"samples":..}; a non-finite value is
// null in "value" and spelt ("nan", "inf", "-inf") in "value_text".
Json alert_json(const DivergenceAlert& a);
// "divergence: loss spike at step 120: loss 7.31 is 2.10x the median 3.48 of the last 64 steps (z 41.2)"
std::string alert_line(const DivergenceAlert& a);

}  // namespace cairn::ft
