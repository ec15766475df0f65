// A line chart: series of (x, y) points on linear or logarithmic axes, with horizontal
// reference lines (an expected rate, a threshold) and vertical markers (alerts at a step).
#pragma once

#include <string>
#include <vector>

namespace cairn::reports {

struct Point {
  double x = 0, y = 0;
};

struct Series {
  std::string name;
  std::vector<Point> points;  // non-finite points (and non-positive ones on a log axis) are left out
  std::string colour;         // empty: the palette's next colour
  bool dashed = false;
  bool points_only = false;   // markers without a connecting line
};

struct ReferenceLine {
  double y = 0;
  std::string label;  // "expected 12 GB/s": in the legend
};

struct Marker {
  double x = 0;
  std::string kind;    // the legend's label: one entry per kind
  std::string detail;  // the tooltip (what happened there)
  std::string colour;
};

struct LineChart {
  std::string title, x_label, y_label;  // labels carry their units: "message size (bytes)"
  bool log_x = false;
  bool x_is_bytes = false;  // with log_x: ticks at powers of two, labelled 1K, 4M, ...
  bool log_y = false;
  bool y_from_zero = true;  // a linear y axis of non-negative values starts at 0
  double width = 900, height = 340;
  std::vector<Series> series;
  std::vector<ReferenceLine> references;
  std::vector<Marker> markers;
  std::string empty_note = "no data";
};

// A complete <svg> element; every label escaped.
std::string render_line_chart(const LineChart& chart);

}  // namespace cairn::reports
