// One failure of a launched job, as `cairn launch --max-restarts` / `--incidents` records
// it: which rank failed and how, the time to detect (from the failure, as the launcher saw
// the rank end or as the watchdog aborted, to the whole job stopped), whether the job was
// restarted, and the time to resume (from the restart to the first step a rank completed
// after it: ft_events.h). One line for stderr, one JSON line for the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/json_io.h"

namespace cairn::coll {

struct Incident {
  int number = 1;       // 1-based, in the order they happened
  int attempt = 0;      // the start of the job that failed (0: the first)
  int rank = -1;        // the first rank the launcher saw fail
  std::string failure;  // "exited with code 2", "was killed by SIGKILL"
  int exit_code = 0;
  double detect_s = 0;
  // The watchdog's part, when a rank's watchdog aborted the job.
  std::optional<int> watchdog_rank;
  std::string watchdog_line;
  int max_restarts = 0;
  bool restarted = false;                    // false: the launcher gave up (or had no restarts)
  std::optional<double> resume_s;            // restarted and a step completed after it
  std::optional<std::int64_t> resumed_step;  // that step's 0-based index
  bool restart_failed = false;               // the restart ended before any step completed
};

// "cairn launch: incident 1: rank 1 was killed by SIGKILL; the job stopped 0.3 s later;
// restart 1 of 2: first step done (step 11) 4.1 s after the restart"
std::string incident_line(const Incident& i);
// {"schema": "cairn.launch_incident", "schema_version": 1, ...}
Json incident_json(const Incident& i);
inline constexpr int kIncidentSchemaVersion = 1;

}  // namespace cairn::coll
