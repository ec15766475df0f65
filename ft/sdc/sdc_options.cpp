#include "ft/sdc/sdc_options.h"

#include <string>

#include "common/atomic_file.h"
#include "common/error.h"

namespace cairn::ft {

std::string_view to_string(SdcPolicy p) {
  switch (p) {
    case SdcPolicy::skip: return "skip";
    case SdcPolicy::rollback: return "rollback";
    case SdcPolicy::stop: return "stop";
  }
  return "?";
}

SdcPolicy parse_sdc_policy(std::string_view s) {
  for (SdcPolicy p : {SdcPolicy::skip, SdcPolicy::rollback, SdcPolicy::stop})
    if (s == to_string(p)) return p;
  throw Error("--sdc-policy: unknown policy; use skip, rollback or stop");
}

void check_sdc_options(const SdcOptions& o) {
  if (o.retries < 0 || o.retries > kMaxSdcRetries)
    throw Error("--sdc-retries " + std::to_string(o.retries) + " is out of range: it must be 0 to " +
                std::to_string(kMaxSdcRetries) + " (reductions re-run after a detected fault)");
  if (o.param_check_every < 0)
    throw Error("--sdc-param-check-every " + std::to_string(o.param_check_every) +
                " is out of range: it must be at least 0 (steps between parameter comparisons; 0: off)");
  if (!o.events.empty()) AtomicFile::check_writable(o.events);
}

}  // namespace cairn::ft
