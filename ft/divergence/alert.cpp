#include "ft/divergence/alert.h"

#include <cmath>

#include <fmt/format.h>

namespace cairn::ft {
namespace {

std::string spelt(double v) { return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

}  // namespace

std::string_view to_string(DivergenceKind k) {
  switch (k) {
    case DivergenceKind::loss_spike: return "loss_spike";
    case DivergenceKind::grad_norm_spike: return "grad_norm_spike";
    case DivergenceKind::non_finite: return "non_finite";
  }
  return "unknown";
}

Json alert_json(const DivergenceAlert& a) {
  Json j = {{"step", a.step},     {"kind", std::string(to_string(a.kind))},
            {"metric", a.metric}, {"median", a.median},
            {"mad", a.mad},       {"z", a.z},
            {"ratio", a.ratio},   {"samples", a.samples}};
  if (std::isfinite(a.value)) {
    j["value"] = a.value;
  } else {
    j["value"] = nullptr;  // JSON has no NaN or infinity
    j["value_text"] = spelt(a.value);
  }
  return with_schema(std::move(j), "cairn.divergence_alert", 1);
}

std::string alert_line(const DivergenceAlert& a) {
  if (a.kind == DivergenceKind::non_finite)
    return fmt::format("divergence: {} is {} at step {}: the run diverged (it stops before the update)", a.metric,
                       spelt(a.value), a.step);
  return fmt::format("divergence: {} spike at step {}: {} {:.6g} is {:.3g}x the median {:.6g} of the last {} steps (z {:.3g})",
                     a.metric == "loss" ? "loss" : "gradient-norm", a.step, a.metric, a.value, a.ratio, a.median,
                     a.samples, a.z);
}

}  // namespace cairn::ft
