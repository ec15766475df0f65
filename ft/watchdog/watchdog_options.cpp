#include "ft/watchdog/watchdog_options.h"

#include <fmt/format.h>

#include "common/error.h"
#include "ft/watchdog/job_events.h"

namespace cairn::ft {

void check_watchdog_options(const WatchdogOptions& o) {
  if (!(o.timeout_s >= 0 && o.timeout_s <= kMaxWatchdogTimeoutS))
    throw Error(
        fmt::format("--watchdog-timeout {} must be from 0 (off) to {:g} seconds; give it above the longest "
                    "checkpoint write",
                    o.timeout_s, kMaxWatchdogTimeoutS));
  if (!o.report.empty()) check_appendable(o.report, "--watchdog-report");
}

}  // namespace cairn::ft
