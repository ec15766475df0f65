// Colours: series colours that colour-blind readers tell apart (Okabe and Ito's palette),
// a sequential scale for heatmaps, and the verdict colours every section shares.
#pragma once

#include <cstddef>
#include <string>

namespace cairn::reports {

// The k-th series colour ("#0072b2", ...), cycling after eight.
std::string series_colour(std::size_t k);

// t in [0, 1] (clamped; NaN as 0) on a light-to-dark blue ramp, for a heatmap cell.
std::string heat_colour(double t);
// Black or white, whichever reads on heat_colour(t).
std::string text_colour_on_heat(double t);

inline constexpr const char* kAlertColour = "#d55e00";     // vermillion: slow, failed, alerted
inline constexpr const char* kWarningColour = "#e69f00";   // orange
inline constexpr const char* kGoodColour = "#009e73";      // bluish green
inline constexpr const char* kNeutralColour = "#999999";   // grey: no value, skipped
inline constexpr const char* kReferenceColour = "#555555"; // expected rates, thresholds

}  // namespace cairn::reports
