// The acceptance result for machines (schema cairn.acceptance v1) and for people.
#include <fmt/format.h>

#include "reports/acceptance/acceptance.h"

namespace cairn::acceptance {

Json to_json(const AcceptanceResult& r, const AcceptanceOptions& o, const std::string& backend) {
  Json doc = with_schema(Json::object(), kAcceptanceSchema, kAcceptanceSchemaVersion);
  doc["verdict"] = r.accepted() ? "accepted" : "rejected";
  doc["backend"] = backend;
  doc["hosts"] = Json::array();
  for (const auto& n : r.nodes) doc["hosts"].push_back(n.host);
  doc["settings"] = {{"repeats", o.repeats},          {"extra_rounds", o.extra_rounds},
                     {"fleet_fraction", o.fleet_fraction}, {"baseline_fraction", o.baseline_fraction},
                     {"spec_fraction", o.spec_fraction},   {"bench_fraction", o.bench_fraction},
                     {"datasheet_fraction", o.datasheet_fraction},
                     {"bench_bytes", o.bench_bytes},       {"bench_iters", o.bench_iters},
                     {"pairs_threshold", o.pairs_fraction}, {"baseline", o.baseline.has_value()},
                     {"expect", o.expect.has_value()}};
  if (o.storage.any()) {
    const auto read = o.storage.demand.read_gb_s(), write = o.storage.demand.write_gb_s();
    doc["settings"]["storage_bytes"] = o.storage.bytes;
    doc["settings"]["storage_read_demand_gb_s"] = read ? Json(*read) : Json(nullptr);
    doc["settings"]["storage_write_demand_gb_s"] = write ? Json(*write) : Json(nullptr);
  }
  doc["nodes"] = Json::array();
  for (const auto& n : r.nodes)
    doc["nodes"].push_back({{"host", n.host}, {"rank", n.rank}, {"verdict", n.pass ? "pass" : "fail"},
                            {"reasons", n.reasons}});
  doc["links"] = Json::array();
  for (const auto& l : r.links)
    doc["links"].push_back({{"a", l.a}, {"b", l.b}, {"verdict", l.pass ? "pass" : "fail"}, {"evidence", l.evidence}});
  doc["checks"] = Json::array();
  for (const auto& c : r.checks) doc["checks"].push_back(to_json(c));
  doc["isolation"] = r.isolation;
  doc["notes"] = r.notes;
  return doc;
}

std::string format_verdict(const AcceptanceResult& r) {
  std::string out = fmt::format("# cairn acceptance: {} ({} nodes)\n", r.accepted() ? "ACCEPTED" : "REJECTED",
                                r.nodes.size());
  out += fmt::format("{:<18} {:<6} {:>10} {:>10} {:>10} {:>7} {:>6}  {}\n", "check", "host", "median", "threshold",
                     "unit", "CV %", "pctl", "verdict");
  for (const auto& c : r.checks) {
    const std::string host = c.host.size() > 6 ? c.host.substr(0, 6) : c.host;
    out += fmt::format("{:<18} {:<6} {:>10} {:>10} {:>10} {:>7} {:>6}  {}\n", c.name, host,
                       c.summary ? fmt::format("{:.4g}", c.summary->median) : "-",
                       c.threshold ? fmt::format("{:.4g}", c.threshold->value) : "-", c.unit.empty() ? "-" : c.unit,
                       c.summary ? fmt::format("{:.1f}", 100 * c.summary->cv) : "-",
                       c.percentile ? fmt::format("{:.0f}", *c.percentile) : "-", to_string(c.outcome));
  }
  for (const auto& n : r.nodes)
    for (const auto& why : n.reasons) out += fmt::format("node {} (rank {}) fails: {}\n", n.host, n.rank, why);
  for (const auto& l : r.links) out += fmt::format("link {} <-> {} fails: {}\n", l.a, l.b, l.evidence);
  for (const auto& iso : r.isolation)
    out += fmt::format("isolating {}: {} runs, {}\n", iso.value("check", ""), iso.value("runs", 0),
                       iso.contains("suspect") ? "slowed by " + iso["suspect"].get<std::string>()
                                               : "no node slows it alone (a link between groups: see the links)");
  for (const auto& note : r.notes) out += "note: " + note + "\n";
  return out;
}

}  // namespace cairn::acceptance
