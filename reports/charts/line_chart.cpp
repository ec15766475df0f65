#include "reports/charts/line_chart.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "reports/charts/axis.h"
#include "reports/charts/legend.h"
#include "reports/charts/palette.h"
#include "reports/charts/scale.h"
#include "reports/charts/svg_text.h"

namespace cairn::reports {
namespace {

// Points are drawn as dots too where there are few enough to tell apart.
constexpr std::size_t kMaxDottedPoints = 40;

bool drawable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

std::vector<Point> drawable_points(const Series& s, const LineChart& c) {
  std::vector<Point> out;
  for (const Point& p : s.points)
    if (drawable(p.x, c.log_x) && drawable(p.y, c.log_y)) out.push_back(p);
  return out;
}

std::vector<Tick> ticks_for(const Range& r, bool log, bool bytes, int max_ticks) {
  if (!log) return linear_ticks(r.lo, r.hi, max_ticks);
  std::vector<Tick> t = log2_ticks(r.lo, r.hi, max_ticks, bytes);
  if (t.size() < 2) t = {{r.lo, bytes ? format_bytes(r.lo) : format_value(r.lo)},
                         {r.hi, bytes ? format_bytes(r.hi) : format_value(r.hi)}};
  return t;
}

std::string series_path(const std::vector<Point>& pts, const Scale& sx, const Scale& sy) {
  std::string d;
  for (std::size_t i = 0; i < pts.size(); ++i)
    d += fmt::format("{}{} {}", i == 0 ? "M" : "L", svg_number(sx(pts[i].x)), svg_number(sy(pts[i].y)));
  return d;
}

}  // namespace

std::string render_line_chart(const LineChart& c) {
  std::vector<std::vector<Point>> points;
  std::vector<double> xs, ys;
  for (const Series& s : c.series) {
    points.push_back(drawable_points(s, c));
    for (const Point& p : points.back()) {
      xs.push_back(p.x);
      ys.push_back(p.y);
    }
  }
  const bool has_data = !xs.empty();
  for (const ReferenceLine& r : c.references) ys.push_back(r.y);
  for (const Marker& m : c.markers) xs.push_back(m.x);

  std::vector<LegendEntry> legend;
  std::vector<std::string> colours;
  for (std::size_t k = 0; k < c.series.size(); ++k) {
    const Series& s = c.series[k];
    colours.push_back(s.colour.empty() ? series_colour(k) : s.colour);
    legend.push_back({s.name + (points[k].empty() ? " (no data)" : ""), colours.back(),
                      s.points_only ? Swatch::point : s.dashed ? Swatch::dashed_line : Swatch::line});
  }
  for (const ReferenceLine& r : c.references) legend.push_back({r.label, kReferenceColour, Swatch::dashed_line});
  std::set<std::string> marker_kinds;
  for (const Marker& m : c.markers)
    if (marker_kinds.insert(m.kind).second) legend.push_back({m.kind, m.colour, Swatch::line});

  const double left = 78, right = 24, top = 34;
  const double legend_h = legend_height(legend, c.width - left - right);
  const double height = c.height + legend_h;
  const PlotArea area{left, top, c.width - left - right, c.height - top - 52};

  std::string out = svg_open(c.width, height, c.title) + chart_heading(c.title, left, 20);
  const Range rx = value_range(xs, c.log_x, false), ry = value_range(ys, c.log_y, c.y_from_zero);
  const Scale sx(rx.lo, rx.hi, area.left, area.right(), c.log_x);
  const Scale sy(ry.lo, ry.hi, area.bottom(), area.top, c.log_y);
  out += x_axis(area, sx, ticks_for(rx, c.log_x, c.x_is_bytes, 10), c.x_label);
  out += y_axis(area, sy, ticks_for(ry, c.log_y, false, 6), c.y_label);

  for (const ReferenceLine& r : c.references) {
    if (!drawable(r.y, c.log_y)) continue;
    out += fmt::format(R"svg(<path class="reference" d="M{} {}H{}" stroke="{}" stroke-width="1.5" stroke-dasharray="6 4"><title>{}</title></path>)svg",
                       svg_number(area.left), svg_number(sy(r.y)), svg_number(area.right()), kReferenceColour,
                       xml_escape(r.label));
  }
  for (const Marker& m : c.markers) {
    if (!drawable(m.x, c.log_x)) continue;
    out += fmt::format(R"svg(<path class="marker" d="M{0} {1}V{2}" stroke="{3}" stroke-width="1.5" opacity="0.8"><title>{4}</title></path>)svg"
                       R"svg(<path d="M{0} {1}l-4 -6h8z" fill="{3}"><title>{4}</title></path>)svg",
                       svg_number(sx(m.x)), svg_number(area.top), svg_number(area.bottom()), xml_escape(m.colour),
                       xml_escape(m.detail.empty() ? m.kind : m.detail));
  }
  for (std::size_t k = 0; k < c.series.size(); ++k) {
    const Series& s = c.series[k];
    const std::vector<Point>& pts = points[k];
    const std::string colour = xml_escape(colours[k]);
    out += fmt::format(R"svg(<g class="series"><title>{}</title>)svg", xml_escape(s.name));
    if (!s.points_only && pts.size() >= 2)
      out += fmt::format(R"svg(<path d="{}" fill="none" stroke="{}" stroke-width="2"{} stroke-linejoin="round"/>)svg",
                         series_path(pts, sx, sy), colour, s.dashed ? R"svg( stroke-dasharray="6 4")svg" : "");
    if (s.points_only || pts.size() <= kMaxDottedPoints)
      for (const Point& p : pts)
        out += fmt::format(R"svg(<circle cx="{}" cy="{}" r="{}" fill="{}"><title>{}: ({}, {})</title></circle>)svg",
                           svg_number(sx(p.x)), svg_number(sy(p.y)), s.points_only ? "4.5" : "3", colour,
                           xml_escape(s.name), xml_escape(c.x_is_bytes ? format_bytes(p.x) : format_value(p.x)),
                           xml_escape(format_value(p.y)));
    out += "</g>";
  }
  if (!has_data) out += empty_note(area, c.empty_note);
  out += plot_frame(area);
  out += render_legend(legend, left, c.height - 8, area.width);
  return out + svg_close();
}

}  // namespace cairn::reports
