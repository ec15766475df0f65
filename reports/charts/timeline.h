// A timeline: events on lanes (one per rank) against a step axis, a dot per event coloured
// by its kind, each with a tooltip of its evidence.
#pragma once

#include <string>
#include <vector>

namespace cairn::reports {

struct TimelineEvent {
  double x = 0;            // the step
  std::size_t lane = 0;    // index into Timeline::lanes
  std::string kind;        // the legend's label ("compute-slow")
  std::string colour;
  std::string detail;      // the tooltip
};

struct Timeline {
  std::string title, x_label, lane_label;  // "step", "rank"
  std::vector<std::string> lanes;          // "rank 0 (host a)", ...
  std::vector<TimelineEvent> events;
  double x_lo = 0, x_hi = 0;               // the axis span; widened to hold every event
  double width = 900;
  std::string empty_note = "no events";
};

std::string render_timeline(const Timeline& t);

}  // namespace cairn::reports
