#include "ft/straggler/metrics.h"

#include <fmt/format.h>

#include "common/exposition/prometheus_text.h"

namespace cairn::ft {
using exposition::label_value;

std::string render_metrics(const MetricsSnapshot& m) {
  std::string out;
  const auto family = [&](const char* name, const char* type, const char* help) {
    exposition::add_family(out, name, type, help);
  };
  if (m.scores) {
    const auto per_section = [&](const char* name, const char* help, auto value) {
      family(name, "gauge", help);
      for (std::size_t r = 0; r < m.scores->ranks.size(); ++r) {
        const std::string host = m.hosts && r < m.hosts->size() ? (*m.hosts)[r] : std::string();
        for (std::size_t s = 0; s < kSections; ++s)
          out += fmt::format("{}{{rank=\"{}\",host=\"{}\",section=\"{}\"}} {:.6g}\n", name, r, label_value(host),
                             to_string(section_at(s)), value(r, s));
      }
    };
    per_section("cairn_straggler_score", "Modified z-score (Iglewicz-Hoaglin) of the rank's section in the last window, on its change from its own baseline once that is set.",
                [&](std::size_t r, std::size_t s) { return m.scores->ranks[r].z[s]; });
    per_section("cairn_straggler_slowdown", "The rank's section time over the median of the other ranks', minus 1, each divided by its own baseline ratio once that is set.",
                [&](std::size_t r, std::size_t s) { return m.scores->ranks[r].slowdown[s]; });
    per_section("cairn_straggler_section_seconds", "The rank's least section time over the last window, as measured.",
                [&](std::size_t r, std::size_t s) { return m.scores->times[r][s]; });
  }
  family("cairn_straggler_threshold", "gauge", "Thresholds in force (--straggler-control may change them).");
  out += fmt::format("cairn_straggler_threshold{{name=\"z\"}} {:.6g}\n", m.thresholds.z);
  out += fmt::format("cairn_straggler_threshold{{name=\"min_slowdown\"}} {:.6g}\n", m.thresholds.min_slowdown);
  out += fmt::format("cairn_straggler_threshold{{name=\"hysteresis\"}} {}\n", m.thresholds.hysteresis);
  family("cairn_straggler_window_step", "gauge", "The 0-based step the last window ended at.");
  out += fmt::format("cairn_straggler_window_step {}\n", m.step);
  family("cairn_straggler_windows_total", "counter", "Windows judged.");
  out += fmt::format("cairn_straggler_windows_total {}\n", m.windows);
  family("cairn_straggler_alerts_total", "counter", "Stragglers confirmed and alerted.");
  out += fmt::format("cairn_straggler_alerts_total {}\n", m.alerts);
  family("cairn_straggler_sniffs_total", "counter", "Sniff tests run.");
  out += fmt::format("cairn_straggler_sniffs_total {}\n", m.sniffs);
  family("cairn_straggler_unconfirmed_total", "counter", "Suspects the sniff test did not confirm.");
  out += fmt::format("cairn_straggler_unconfirmed_total {}\n", m.unconfirmed);
  family("cairn_straggler_overhead_seconds_total", "counter", "Time the detector took from training on rank 0.");
  out += fmt::format("cairn_straggler_overhead_seconds_total {:.6g}\n", m.overhead_s);
  if (m.noise_floor) {
    family("cairn_straggler_noise_floor_ratio", "gauge",
           "Rank 0's own window-to-window spread of each section (1.4826 MAD / median): the least change it can tell from noise.");
    for (std::size_t s = 0; s < kSections; ++s)
      out += fmt::format("cairn_straggler_noise_floor_ratio{{section=\"{}\"}} {:.6g}\n", to_string(section_at(s)),
                         (*m.noise_floor)[s]);
  }
  return out;
}

}  // namespace cairn::ft
