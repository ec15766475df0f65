#include "reports/charts/timeline.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "reports/charts/axis.h"
#include "reports/charts/legend.h"
#include "reports/charts/scale.h"
#include "reports/charts/svg_text.h"

namespace cairn::reports {

std::string render_timeline(const Timeline& t) {
  constexpr double kLaneHeight = 28;
  std::vector<double> xs = {t.x_lo, t.x_hi};
  std::vector<LegendEntry> legend;
  std::set<std::string> kinds;
  for (const TimelineEvent& e : t.events) {
    xs.push_back(e.x);
    if (kinds.insert(e.kind).second) legend.push_back({e.kind, e.colour, Swatch::point});
  }
  const double left = 150, right = 24, top = 50;
  const std::size_t lanes = std::max<std::size_t>(t.lanes.size(), 1);
  const PlotArea area{left, top, t.width - left - right, kLaneHeight * static_cast<double>(lanes)};
  const double legend_h = legend_height(legend, area.width);
  const double height = area.bottom() + 52 + legend_h;

  std::string out = svg_open(t.width, height, t.title) + chart_heading(t.title, 16, 20);
  const Range r = value_range(xs, false, false);
  const Scale sx(r.lo, r.hi, area.left, area.right(), false);
  out += x_axis(area, sx, linear_ticks(r.lo, r.hi, 10), t.x_label);
  out += fmt::format(R"svg(<text x="16" y="{}" font-size="12">{}</text>)svg", svg_number(top - 8), xml_escape(t.lane_label));
  for (std::size_t k = 0; k < t.lanes.size(); ++k) {
    const double y = area.top + kLaneHeight * (static_cast<double>(k) + 0.5);
    out += fmt::format(R"svg(<path d="M{} {}H{}" stroke="#d0d0d0"/>)svg", svg_number(area.left), svg_number(y),
                       svg_number(area.right()));
    out += fmt::format(R"svg(<text x="{}" y="{}" font-size="11" text-anchor="end" dominant-baseline="middle">{}</text>)svg",
                       svg_number(area.left - 8), svg_number(y), xml_escape(t.lanes[k]));
  }
  for (const TimelineEvent& e : t.events) {
    if (!std::isfinite(e.x) || e.lane >= t.lanes.size()) continue;
    const double y = area.top + kLaneHeight * (static_cast<double>(e.lane) + 0.5);
    out += fmt::format(R"svg(<circle class="event" cx="{}" cy="{}" r="6" fill="{}" stroke="#333" stroke-width="0.5"><title>{}</title></circle>)svg",
                       svg_number(sx(e.x)), svg_number(y), xml_escape(e.colour), xml_escape(e.detail));
  }
  if (t.events.empty()) out += empty_note(area, t.empty_note);
  out += plot_frame(area);
  out += render_legend(legend, left, area.bottom() + 44, area.width);
  return out + svg_close();
}

}  // namespace cairn::reports
