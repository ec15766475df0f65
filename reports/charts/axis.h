// What every chart with axes shares: the <svg> element with its title, the plot frame,
// the ticks and grid lines of an x and a y axis, their labels (with units), and the note
// an empty chart shows instead of data.
#pragma once

#include <string>
#include <vector>

#include "reports/charts/scale.h"

namespace cairn::reports {

// The plot area inside a chart, in pixels.
struct PlotArea {
  double left = 0, top = 0, width = 0, height = 0;
  double right() const { return left + width; }
  double bottom() const { return top + height; }
};

// <svg ...> with role="img", an aria-label and a <title> (the chart's title, escaped).
std::string svg_open(double width, double height, const std::string& title);
std::string svg_close();
// The title drawn above the plot.
std::string chart_heading(const std::string& title, double x, double y);
// Ticks and grid lines across the plot area, tick labels, and the axis label below (x) or
// turned along the left side (y).
std::string x_axis(const PlotArea& area, const Scale& scale, const std::vector<Tick>& ticks, const std::string& label);
std::string y_axis(const PlotArea& area, const Scale& scale, const std::vector<Tick>& ticks, const std::string& label);
std::string plot_frame(const PlotArea& area);
// "no data" (or the reason) in the middle of the plot area.
std::string empty_note(const PlotArea& area, const std::string& note);

}  // namespace cairn::reports
