// A confirmed straggler, in the forms an operator reads: one log line, one JSON line of
// the event stream (and the hook's stdin).
#pragma once

#include <cstdint>
#include <string>

#include "common/json_io.h"
#include "ft/straggler/scoring.h"

namespace cairn::ft {

struct Alert {
  std::int64_t step = 0;      // 0-based index of the step whose window raised it
  int rank = -1;
  std::string host;           // the rank's host name
  std::string gpu_bus_id;     // "none" without a GPU
  Section section = Section::forward_backward;
  VerdictType type = VerdictType::compute;
  double slowdown = 0;        // 0.25: 25 % slower than the median of the others
  double z = 0;               // modified z-score of the section (0 for a link found by the sniff alone)
  int windows = 0;            // consecutive windows it was out of line in
  int peer = -1;              // link: the other end of the slow edge; -1: both neighbours
  std::string evidence;       // the numbers behind it, in words
  std::string cause;          // compute: NVML's clock-event reasons ("none" when none or no GPU)
  Json details;               // the same numbers, machine-readable
};

// {"schema":"cairn.straggler_alert","schema_version":1,"step":..,"rank":..,...}
Json alert_json(const Alert& a);
// "straggler: rank 2 (host h, gpu none) compute-slow in forward_backward, +25.3 % at step 9: <evidence>"
std::string alert_line(const Alert& a);

}  // namespace cairn::ft
