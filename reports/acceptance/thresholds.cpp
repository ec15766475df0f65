#include "reports/acceptance/thresholds.h"

#include <fmt/format.h>

namespace cairn::acceptance {
namespace {

// The same check's median in a previous report, if it has one.
std::optional<double> baseline_median(const std::optional<Json>& baseline, const std::string& name,
                                      const std::string& host) {
  if (!baseline) return std::nullopt;
  for (const Json& c : (*baseline)["checks"])
    if (c.is_object() && c.value("name", "") == name && c.value("host", "") == host && c.contains("median") &&
        c["median"].is_number() && c["median"].get<double>() > 0)
      return c["median"].get<double>();
  return std::nullopt;
}

}  // namespace

void apply_spec_and_baseline(Check& c, std::optional<double> spec, const AcceptanceOptions& o) {
  if (spec)
    require_threshold(c, {o.spec_fraction * *spec, "spec",
                          fmt::format("{} x --expect's {:.4g} {}", o.spec_fraction, *spec, c.unit)});
  c.baseline = baseline_median(o.baseline, c.name, c.host);
  if (c.baseline)
    require_threshold(c, {o.baseline_fraction * *c.baseline, "baseline",
                          fmt::format("{} x this node's {:.4g} {} in --baseline", o.baseline_fraction, *c.baseline,
                                      c.unit)});
}

std::vector<Check> fleet_checks(const std::string& name, const std::string& unit,
                                const std::vector<std::vector<double>>& samples,
                                const std::vector<coll::pairs::Participant>& subjects, std::optional<double> spec,
                                const AcceptanceOptions& o, const std::vector<std::optional<Threshold>>& extra) {
  std::vector<Check> checks;
  std::vector<double> medians;
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    Check c;
    c.name = name;
    c.host = subjects[i].host;
    c.rank = subjects[i].rank;
    c.unit = unit;
    c.samples = samples[i];
    c.summary = summarize(c.samples);
    medians.push_back(c.summary->median);
    checks.push_back(std::move(c));
  }
  const double fleet = coll::pairs::median_of(medians);
  for (std::size_t i = 0; i < checks.size(); ++i) {
    Check& c = checks[i];
    apply_spec_and_baseline(c, spec, o);
    if (i < extra.size() && extra[i]) require_threshold(c, *extra[i]);
    if (subjects.size() >= 2) {
      require_threshold(c, {o.fleet_fraction * fleet, "fleet",
                            fmt::format("{} x the fleet's median {:.4g} {}", o.fleet_fraction, fleet, unit)});
      c.percentile = percentile_rank(c.summary->median, medians);
    }
    judge(c);
  }
  return checks;
}

}  // namespace cairn::acceptance
