#include "ft/straggler/straggler_options.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/file_kind.h"
#include "common/text_file.h"
#include "ft/alerting/flag_checks.h"
#include "ft/straggler/control_file.h"

namespace cairn::ft {
namespace {

// The control file may not exist yet (the operator writes it later); one that does must
// be a regular file the detector reads and understands now, not at the first window.
void check_control(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    fail("--straggler-control " + path, std::string(std::strerror(errno)) + "; give a regular file of key=value lines");
  }
  if (!S_ISREG(st.st_mode))
    fail("--straggler-control " + path,
         std::string("is ") + file_kind(st.st_mode) + ", not a regular file; give a file of key=value lines");
  const std::string text = read_text_file(path, true, kMaxControlBytes);
  const ControlUpdate u = parse_control(text, StragglerThresholds{});
  if (!u.problems.empty())
    fail("--straggler-control " + path,
         u.problems.front() + "; write threshold=Z, min_slowdown=F or hysteresis=N, one a line");
}

}  // namespace

void check_straggler_options(const StragglerOptions& o) {
  require_in_range("--straggler-every", o.every, 1, 1e6, "steps per window: one all_gather of the ranks' statistics each");
  require_in_range("--straggler-warmup", o.warmup, 0, 1e6, "first steps not judged");
  require_in_range("--straggler-baseline-windows", o.baseline_windows, 1, 1e6,
           "judged windows whose median sets each rank's own baseline");
  require_positive("--straggler-static-slowdown", o.static_slowdown, 100,
           "the least slowdown across ranks alerted for a rank slow from the start, 0.5 for 50 %");
  require_positive("--straggler-threshold", o.thresholds.z, 1e6, "the modified z-score cut; 3.5 is Iglewicz and Hoaglin's");
  require_in_range("--straggler-min-slowdown", o.thresholds.min_slowdown, 0, 10, "the least slowdown alerted, 0.1 for 10 %");
  require_in_range("--straggler-hysteresis", o.thresholds.hysteresis, 1, 1000, "windows in a row before a rank is suspect");
  require_in_range("--straggler-sniff-kib", o.sniff_kib, 1, 1 << 20, "KiB of each sniff exchange");
  require_positive("--straggler-hook-timeout-s", o.hook_timeout_s, 3600, "seconds before a hook is killed");
  require_plain_command("--straggler-hook", o.hook);
  for (const auto* f : {&o.events, &o.metrics})
    if (!f->empty()) AtomicFile::check_writable(*f);
  if (!o.events.empty() && o.events == o.metrics)
    throw Error("--straggler-events and --straggler-metrics are both " + o.events + ": give two files");
  if (!o.control.empty()) check_control(o.control);
}

}  // namespace cairn::ft
