#include "reports/charts/axis.h"

#include <fmt/format.h>

#include "reports/charts/svg_text.h"

namespace cairn::reports {

// No xmlns: inline SVG in HTML needs none, and the page then names no URL at all.
std::string svg_open(double width, double height, const std::string& title) {
  const std::string t = xml_escape(title);
  return fmt::format(R"svg(<svg class="chart" width="{0}" height="{1}" )svg"
                     R"svg(viewBox="0 0 {0} {1}" role="img" aria-label="{2}" font-family="DejaVu Sans, sans-serif">)svg"
                     R"svg(<title>{2}</title><rect class="background" x="0" y="0" width="{0}" height="{1}" fill="#ffffff"/>)svg",
                     svg_number(width), svg_number(height), t);
}

std::string svg_close() { return "</svg>"; }

std::string chart_heading(const std::string& title, double x, double y) {
  return fmt::format(R"svg(<text x="{}" y="{}" font-size="15" font-weight="bold">{}</text>)svg", svg_number(x),
                     svg_number(y), xml_escape(title));
}

std::string x_axis(const PlotArea& area, const Scale& scale, const std::vector<Tick>& ticks, const std::string& label) {
  std::string out = R"svg(<g class="x-axis">)svg";
  for (const Tick& t : ticks) {
    const std::string x = svg_number(scale(t.value));
    out += fmt::format(R"svg(<path d="M{0} {1}V{2}" stroke="#e3e3e3"/><path d="M{0} {2}v5" stroke="#333"/>)svg", x,
                       svg_number(area.top), svg_number(area.bottom()));
    out += fmt::format(R"svg(<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>)svg", x,
                       svg_number(area.bottom() + 18), xml_escape(t.label));
  }
  out += fmt::format(R"svg(<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>)svg",
                     svg_number(area.left + area.width / 2), svg_number(area.bottom() + 36), xml_escape(label));
  return out + "</g>";
}

std::string y_axis(const PlotArea& area, const Scale& scale, const std::vector<Tick>& ticks, const std::string& label) {
  std::string out = R"svg(<g class="y-axis">)svg";
  for (const Tick& t : ticks) {
    const std::string y = svg_number(scale(t.value));
    out += fmt::format(R"svg(<path d="M{1} {0}H{2}" stroke="#e3e3e3"/><path d="M{1} {0}h-5" stroke="#333"/>)svg", y,
                       svg_number(area.left), svg_number(area.right()));
    out += fmt::format(R"svg(<text x="{}" y="{}" font-size="11" text-anchor="end" dominant-baseline="middle">{}</text>)svg",
                       svg_number(area.left - 8), y, xml_escape(t.label));
  }
  const std::string cx = svg_number(area.left - 52), cy = svg_number(area.top + area.height / 2);
  out += fmt::format(R"svg(<text x="{0}" y="{1}" font-size="12" text-anchor="middle" transform="rotate(-90 {0} {1})">{2}</text>)svg",
                     cx, cy, xml_escape(label));
  return out + "</g>";
}

std::string plot_frame(const PlotArea& area) {
  return fmt::format(R"svg(<rect class="frame" x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#333"/>)svg",
                     svg_number(area.left), svg_number(area.top), svg_number(area.width), svg_number(area.height));
}

std::string empty_note(const PlotArea& area, const std::string& note) {
  return fmt::format(R"svg(<text class="empty" x="{}" y="{}" font-size="14" fill="#666" text-anchor="middle">{}</text>)svg",
                     svg_number(area.left + area.width / 2), svg_number(area.top + area.height / 2), xml_escape(note));
}

}  // namespace cairn::reports
