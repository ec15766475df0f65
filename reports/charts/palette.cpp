#include "reports/charts/palette.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace cairn::reports {

std::string series_colour(std::size_t k) {
  // Okabe-Ito without its yellow, which does not read on white, and with black last.
  static const char* kColours[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                   "#e69f00", "#56b4e9", "#7f3c8d", "#000000"};
  return kColours[k % (sizeof kColours / sizeof kColours[0])];
}

namespace {
double clamp01(double t) { return std::isnan(t) ? 0.0 : std::clamp(t, 0.0, 1.0); }
}  // namespace

std::string heat_colour(double t) {
  t = clamp01(t);
  // From #eff3ff (lightest) to #08519c (darkest): ColorBrewer's Blues, its ends.
  const double from[] = {0xef, 0xf3, 0xff}, to[] = {0x08, 0x51, 0x9c};
  int c[3];
  for (int i = 0; i < 3; ++i) c[i] = static_cast<int>(std::lround(from[i] + (to[i] - from[i]) * t));
  return fmt::format("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]);
}

std::string text_colour_on_heat(double t) { return clamp01(t) > 0.55 ? "#ffffff" : "#000000"; }

}  // namespace cairn::reports
