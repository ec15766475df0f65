#include "reports/charts/legend.h"

#include <algorithm>

#include <fmt/format.h>

#include "reports/charts/svg_text.h"

namespace cairn::reports {
namespace {

constexpr double kRowHeight = 18, kSwatchWidth = 22, kCharWidth = 7, kGap = 18;
constexpr std::size_t kMaxLabelChars = 60;

std::string shown_label(const std::string& label) {
  return label.size() <= kMaxLabelChars ? label : label.substr(0, kMaxLabelChars - 3) + "...";
}

double entry_width(const LegendEntry& e) {
  return kSwatchWidth + 6 + kCharWidth * static_cast<double>(shown_label(e.label).size()) + kGap;
}

// Calls place(entry, x, y) for each entry, wrapping rows; returns the rows used.
template <typename Place>
int lay_out(const std::vector<LegendEntry>& entries, double width, Place place) {
  if (entries.empty()) return 0;
  double x = 0;
  int row = 0;
  for (const LegendEntry& e : entries) {
    const double w = entry_width(e);
    if (x > 0 && x + w > width) {
      x = 0;
      ++row;
    }
    place(e, x, row * kRowHeight);
    x += w;
  }
  return row + 1;
}

std::string swatch(const LegendEntry& e, double x, double y) {
  const std::string c = xml_escape(e.colour), mid = svg_number(y + kRowHeight / 2);
  switch (e.swatch) {
    case Swatch::point:
      return fmt::format(R"svg(<circle cx="{}" cy="{}" r="4" fill="{}"/>)svg", svg_number(x + kSwatchWidth / 2), mid, c);
    case Swatch::box:
      return fmt::format(R"svg(<rect x="{}" y="{}" width="{}" height="10" fill="{}" stroke="#333" stroke-width="0.5"/>)svg",
                         svg_number(x + 4), svg_number(y + kRowHeight / 2 - 5), svg_number(kSwatchWidth - 8), c);
    case Swatch::line:
    case Swatch::dashed_line:
      break;
  }
  return fmt::format(R"svg(<path d="M{} {}H{}" stroke="{}" stroke-width="2.5"{}/>)svg", svg_number(x), mid,
                     svg_number(x + kSwatchWidth), c,
                     e.swatch == Swatch::dashed_line ? R"svg( stroke-dasharray="6 4")svg" : "");
}

}  // namespace

double legend_height(const std::vector<LegendEntry>& entries, double width) {
  return lay_out(entries, width, [](const LegendEntry&, double, double) {}) * kRowHeight;
}

std::string render_legend(const std::vector<LegendEntry>& entries, double x, double y, double width) {
  if (entries.empty()) return "";
  std::string out = fmt::format(R"svg(<g class="legend" transform="translate({} {})">)svg", svg_number(x), svg_number(y));
  lay_out(entries, width, [&](const LegendEntry& e, double ex, double ey) {
    out += swatch(e, ex, ey);
    out += fmt::format(R"svg(<text x="{}" y="{}" font-size="12" dominant-baseline="middle">{}</text>)svg",
                       svg_number(ex + kSwatchWidth + 6), svg_number(ey + kRowHeight / 2),
                       xml_escape(shown_label(e.label)));
  });
  return out + "</g>";
}

}  // namespace cairn::reports
