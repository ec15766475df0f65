#include <cmath>

#include <fmt/format.h>

#include "reports/charts/line_chart.h"
#include "reports/charts/scale.h"
#include "reports/sections/format.h"
#include "reports/sections/sections.h"

namespace cairn::reports {
namespace {

// A chart of a long run keeps every k-th step (and the last), so the page stays small.
constexpr std::size_t kMaxChartPoints = 2000;

Series curve(const Input& in, double LossPoint::*field) {
  Series s;
  s.name = in.label;
  const std::size_t every = (in.loss.size() + kMaxChartPoints - 1) / kMaxChartPoints;
  for (std::size_t k = 0; k < in.loss.size(); ++k)
    if (k % every == 0 || k + 1 == in.loss.size())
      s.points.push_back({static_cast<double>(in.loss[k].step), in.loss[k].*field});
  return s;
}

LineChart step_chart(const std::string& title, const std::string& y_label, const std::vector<StepEvent>& events) {
  LineChart c;
  c.title = title;
  c.x_label = "step";
  c.y_label = y_label;
  c.y_from_zero = false;
  for (const StepEvent& e : events) c.markers.push_back({e.step, e.kind, e.detail, e.colour});
  return c;
}

}  // namespace

Section training_section(const std::vector<const Input*>& loss_logs, const std::vector<const Input*>& event_files) {
  Section s;
  s.title = "Training (cairn train --loss-log)";
  for (const Input* in : loss_logs) s.sources.push_back(in->path);
  for (const Input* in : event_files) s.sources.push_back(in->path);
  s.intro = "Loss and gradient norm (before clipping) at every optimizer step; vertical lines mark the steps of the "
            "alerts given beside the logs (straggler alerts, SDC events).";
  const std::vector<StepEvent> events = step_events(event_files);
  LineChart loss = step_chart("Loss against step", "loss (cross-entropy, nats)", events);
  LineChart norm = step_chart("Gradient norm against step", "gradient norm (L2)", events);
  norm.y_from_zero = true;  // a norm is never negative: its spikes read against zero
  Table table{{"log", "steps", "first loss", "last loss", "lowest loss", "at step", "largest grad norm", "non-finite"}, {}};
  for (const Input* in : loss_logs) {
    loss.series.push_back(curve(*in, &LossPoint::loss));
    norm.series.push_back(curve(*in, &LossPoint::grad_norm));
    const LossPoint* lowest = nullptr;
    double largest_norm = 0;
    const LossPoint* first_bad = nullptr;
    for (const LossPoint& p : in->loss) {
      if (!std::isfinite(p.loss) || !std::isfinite(p.grad_norm)) {
        if (!first_bad) first_bad = &p;
        continue;
      }
      if (!lowest || p.loss < lowest->loss) lowest = &p;
      largest_norm = std::max(largest_norm, p.grad_norm);
    }
    const LossPoint& first = in->loss.front();
    const LossPoint& last = in->loss.back();
    table.rows.push_back({{in->label},
                          {fmt::format("{}-{}", first.step, last.step), Tone::plain, true},
                          number_cell(first.loss),
                          number_cell(last.loss),
                          lowest ? number_cell(lowest->loss) : Cell{"-", Tone::muted, true},
                          lowest ? number_cell(static_cast<double>(lowest->step)) : Cell{"-", Tone::muted, true},
                          number_cell(largest_norm),
                          first_bad ? Cell{fmt::format("from step {}", first_bad->step), Tone::bad}
                                    : Cell{"none", Tone::good}});
    std::string text = fmt::format("steps {}-{}: loss {} -> {}", first.step, last.step, format_value(first.loss),
                                   format_value(last.loss));
    if (lowest) text += fmt::format(" (lowest {} at step {})", format_value(lowest->loss), lowest->step);
    if (first_bad) text += fmt::format("; NaN or Inf from step {}", first_bad->step);
    s.findings.push_back({"training " + in->label, text, first_bad ? Tone::bad : Tone::plain});
  }
  if (!events.empty())
    s.findings.push_back({"alerts", fmt::format("{} alert(s) marked on the training curves", events.size()), Tone::warning});
  s.charts.push_back(render_line_chart(loss));
  s.charts.push_back(render_line_chart(norm));
  s.tables.push_back(std::move(table));
  return s;
}

}  // namespace cairn::reports
