#include "ft/straggler/alert.h"

#include <fmt/format.h>

namespace cairn::ft {

Json alert_json(const Alert& a) {
  Json j = {{"step", a.step},
            {"rank", a.rank},
            {"host", a.host},
            {"gpu_bus_id", a.gpu_bus_id},
            {"section", std::string(to_string(a.section))},
            {"type", std::string(to_string(a.type))},
            {"slowdown_percent", a.slowdown * 100},
            {"z", a.z},
            {"windows", a.windows},
            {"evidence", a.evidence},
            {"details", a.details.is_null() ? Json::object() : a.details}};
  if (a.type == VerdictType::compute) j["cause"] = a.cause;
  if (a.type == VerdictType::link) j["peer"] = a.peer;
  return with_schema(std::move(j), "cairn.straggler_alert", 1);
}

std::string alert_line(const Alert& a) {
  std::string where;
  if (a.type == VerdictType::link)
    where = a.peer >= 0 ? fmt::format(" (its exchanges with rank {})", a.peer) : std::string(" (its own link)");
  return fmt::format("straggler: rank {} (host {}, gpu {}) {}-slow in {}{}, {:+.1f} % at step {}: {}", a.rank,
                     a.host.empty() ? "unknown" : a.host, a.gpu_bus_id, to_string(a.type), to_string(a.section), where,
                     a.slowdown * 100, a.step + 1, a.evidence);
}

}  // namespace cairn::ft
