#include "collectives/launch/incident.h"

#include <fmt/format.h>

namespace cairn::coll {

std::string incident_line(const Incident& i) {
  std::string line = fmt::format("cairn launch: incident {}: rank {} {}", i.number, i.rank, i.failure);
  if (i.watchdog_rank)
    line += fmt::format(" after rank {}'s watchdog aborted it ({})", *i.watchdog_rank, i.watchdog_line);
  line += fmt::format("; the job stopped {:.2f} s after the {}", i.detect_s, i.watchdog_rank ? "abort" : "failure");
  if (!i.restarted) return line + (i.max_restarts > 0 ? "; not restarted (no restarts left)" : "");
  line += fmt::format("; restart {} of {}", i.attempt + 1, i.max_restarts);
  if (i.resume_s)
    line += fmt::format(": first step done (step {}) {:.2f} s after the restart", *i.resumed_step + 1, *i.resume_s);
  else if (i.restart_failed)
    line += ": it failed before completing a step";
  else
    line += ": it ended without reporting a step";
  return line;
}

Json incident_json(const Incident& i) {
  Json j = {{"incident", i.number},     {"attempt", i.attempt},          {"rank", i.rank},
            {"failure", i.failure},     {"exit_code", i.exit_code},      {"time_to_detect_s", i.detect_s},
            {"restarted", i.restarted}, {"max_restarts", i.max_restarts}};
  if (i.watchdog_rank) {
    j["watchdog_rank"] = *i.watchdog_rank;
    j["watchdog"] = i.watchdog_line;
  }
  j["time_to_resume_s"] = i.resume_s ? Json(*i.resume_s) : Json(nullptr);
  j["resumed_step"] = i.resumed_step ? Json(*i.resumed_step) : Json(nullptr);
  return with_schema(std::move(j), "cairn.launch_incident", kIncidentSchemaVersion);
}

}  // namespace cairn::coll
