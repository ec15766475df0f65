// Where divergence alerts go, as the straggler detector's do (ft/straggler/detector.cpp):
// a log line, one JSON line appended to --divergence-events (common/append_lines.h), the
// hook (ft/alerting/hook_runner.h) with the JSON on stdin, and the counts a metrics
// endpoint serves (metrics_text()).
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>

#include "common/append_lines.h"
#include "ft/alerting/hook_runner.h"
#include "ft/divergence/detector.h"

namespace cairn::ft {

class DivergenceAlarm {
 public:
  using Log = std::function<void(const std::string&)>;  // thread-safe (the hook's thread logs too)
  // cairn::Error naming --divergence-events if the file cannot be opened.
  DivergenceAlarm(const DivergenceOptions& o, Log log);
  ~DivergenceAlarm();  // waits for a running hook, at most its timeout

  void raise(const DivergenceAlert& a);
  long alerts(DivergenceKind k) const { return counts_[static_cast<std::size_t>(k)]; }
  // The alert counts per kind and the detector's last baselines, as exposition text.
  std::string metrics_text(const DivergenceDetector& d) const;

 private:
  Log log_;
  std::unique_ptr<AppendLines> events_;
  std::unique_ptr<HookRunner> hook_;
  std::array<long, std::size(kDivergenceKinds)> counts_{};
};

}  // namespace cairn::ft
