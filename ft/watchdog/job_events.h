// The ranks' side of the fault-tolerance event file a restarting launcher reads
// (CAIRN_FT_EVENTS, set by `cairn launch --max-restarts` or `--incidents`; the launcher's
// reader is collectives/launch/ft_events.h). One JSON object a line:
//   {"event": "watchdog_abort", "rank": R, "attempt": K, "t": T, "line": "...", "verdict": {...}}
//   {"event": "step_done", "rank": R, "attempt": K, "step": S, "t": T}   (the first step of a start)
// t is seconds on the steady clock (CLOCK_MONOTONIC), which every process of a node
// shares: the launcher subtracts its own readings from it without asking the wall clock.
#pragma once

#include <optional>
#include <string>

#include "common/json_io.h"

namespace cairn::ft {

// What CAIRN_FT_EVENTS names, if it is set.
std::optional<std::string> ft_events_path();

// Seconds on the steady clock, as the event lines carry them.
double steady_seconds();

// Appends `j` as one line with a single write(2) to a file opened O_APPEND, so lines
// of several ranks never interleave; creates the file. cairn::Error naming the path when
// it cannot be opened or written.
void append_json_line(const std::string& path, const Json& j);

// Whether `path` can be appended to (created if missing): a refusal at the start of the
// run instead of a lost report at the end. cairn::Error naming `flag` and the path.
void check_appendable(const std::string& path, const std::string& flag);

}  // namespace cairn::ft
