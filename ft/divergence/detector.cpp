#include "ft/divergence/detector.h"

#include <cmath>

namespace cairn::ft {
namespace {

DivergenceAlert alert_of(std::int64_t step, DivergenceKind kind, const char* metric, const SpikeVerdict& v) {
  return DivergenceAlert{step + 1, kind, metric, v.value, v.median, v.mad, v.z, v.ratio, v.samples};
}

}  // namespace

DivergenceDetector::DivergenceDetector(const SpikeThresholds& t)
    : loss_(t.window, t.warmup, t.z, t.loss_ratio, t.cooldown),
      grad_norm_(t.window, t.warmup, t.z, t.grad_norm_ratio, t.cooldown) {}

std::vector<DivergenceAlert> DivergenceDetector::observe(std::int64_t step, double loss, double grad_norm) {
  std::vector<DivergenceAlert> out;
  const auto watch = [&](SpikeWatch& w, double value, DivergenceKind kind, const char* metric) {
    if (!std::isfinite(value)) {
      SpikeVerdict v;
      if (w.last()) v = *w.last();  // the baseline it broke from
      v.value = value;
      v.z = v.ratio = 0;
      out.push_back(alert_of(step, DivergenceKind::non_finite, metric, v));
      return;
    }
    if (const auto v = w.observe(step, value); v && v->alert) out.push_back(alert_of(step, kind, metric, *v));
  };
  watch(loss_, loss, DivergenceKind::loss_spike, "loss");
  if (grad_norm != 0) watch(grad_norm_, grad_norm, DivergenceKind::grad_norm_spike, "grad_norm");
  return out;
}

}  // namespace cairn::ft
