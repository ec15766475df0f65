#include "ft/divergence/alarm.h"

#include <chrono>

#include <fmt/format.h>

#include "common/exposition/prometheus_text.h"

namespace cairn::ft {

DivergenceAlarm::DivergenceAlarm(const DivergenceOptions& o, Log log) : log_(std::move(log)) {
  if (!o.events.empty()) events_ = std::make_unique<AppendLines>(o.events, "--divergence-events");
  if (!o.hook.empty())
    hook_ = std::make_unique<HookRunner>(o.hook, std::chrono::milliseconds(static_cast<long long>(o.hook_timeout_s * 1e3)),
                                         log_, "--divergence-hook");
}

DivergenceAlarm::~DivergenceAlarm() { hook_.reset(); }

void DivergenceAlarm::raise(const DivergenceAlert& a) {
  ++counts_[static_cast<std::size_t>(a.kind)];
  if (log_) log_(alert_line(a));
  const std::string line = alert_json(a).dump();
  if (events_) events_->append(line, log_);
  if (hook_) hook_->run(line + "\n");
}

std::string DivergenceAlarm::metrics_text(const DivergenceDetector& d) const {
  using exposition::add_family;
  using exposition::sample_value;
  std::string out;
  add_family(out, "cairn_divergence_alerts_total", "counter",
             "Divergence alerts raised: loss and gradient-norm spikes against the recent median, NaN/Inf.");
  for (DivergenceKind k : kDivergenceKinds)
    out += fmt::format("cairn_divergence_alerts_total{{kind=\"{}\"}} {}\n", to_string(k), alerts(k));
  const auto per_series = [&](const char* name, const char* help, double (*field)(const SpikeVerdict&)) {
    add_family(out, name, "gauge", help);
    for (const auto& [metric, watch] : {std::pair{"loss", &d.loss()}, std::pair{"grad_norm", &d.grad_norm()}})
      if (watch->last()) out += fmt::format("{}{{metric=\"{}\"}} {}\n", name, metric, sample_value(field(*watch->last())));
  };
  per_series("cairn_divergence_baseline_median", "Median of the recent window the last step was judged against.",
             [](const SpikeVerdict& v) { return v.median; });
  per_series("cairn_divergence_z", "Modified z-score of the last step against that window.",
             [](const SpikeVerdict& v) { return v.z; });
  per_series("cairn_divergence_ratio", "The last step's value over that window's median.",
             [](const SpikeVerdict& v) { return v.ratio; });
  return out;
}

}  // namespace cairn::ft
