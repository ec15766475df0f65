#include <fmt/format.h>

#include "reports/charts/scale.h"
#include "reports/sections/format.h"
#include "reports/sections/sections.h"

namespace cairn::reports {

Section probe_section(const Input& in) {
  Section s;
  const std::string host = opt_string(in.doc, "hostname", in.path).value_or("?");
  s.title = "Node " + host + " (cairn probe)";
  s.sources = {in.path};
  const Json& cpu = in.doc.contains("cpu") ? in.doc["cpu"] : Json::object();
  const std::string where = in.path + " cpu";
  Table node{{"part", "what"}, {}};
  node.rows.push_back({{"CPU"}, {fmt::format("{} package(s), {} cores, {} threads: {}",
                                             or_dash(opt_number(cpu, "packages", where)),
                                             or_dash(opt_number(cpu, "cores", where)),
                                             or_dash(opt_number(cpu, "pus", where)),
                                             opt_string(cpu, "model", where).value_or("?"))}});
  const Json& gpus = opt_array(in.doc, "gpus", in.path);
  for (std::size_t k = 0; k < gpus.size(); ++k) {
    const Json& g = object_at(gpus, k, in.path, "gpus");
    const std::string gw = fmt::format("{} gpus[{}]", in.path, k);
    const auto memory = opt_number(g, "memory_bytes", gw);
    node.rows.push_back({{fmt::format("GPU {}", k)},
                         {fmt::format("{} at {}, {}", opt_string(g, "name", gw).value_or("?"),
                                      opt_string(g, "bus_id", gw).value_or("?"),
                                      memory ? format_value(*memory / (1u << 30)) + " GiB" : "memory unknown")}});
  }
  const Json& nics = opt_array(in.doc, "nics", in.path);
  for (std::size_t k = 0; k < nics.size(); ++k) {
    const Json& n = object_at(nics, k, in.path, "nics");
    const std::string nw = fmt::format("{} nics[{}]", in.path, k);
    std::string ports;
    for (const Json& p : opt_array(n, "ports", nw))
      if (p.is_object())
        ports += fmt::format("{}port {} {}", ports.empty() ? "" : ", ", or_dash(opt_number(p, "port", nw)),
                             opt_string(p, "state", nw).value_or("?"));
    node.rows.push_back({{fmt::format("NIC {}", k)},
                         {fmt::format("{} ({}): {}", opt_string(n, "name", nw).value_or("?"),
                                      opt_string(n, "transport", nw).value_or("?"), ports.empty() ? "no ports" : ports)}});
  }
  s.tables.push_back(std::move(node));
  Table findings{{"severity", "check", "subject", "message"}, {}};
  int errors = 0, warnings = 0;
  for_each_object(in.doc, "findings", in.path, [&](const Json& f, const std::string& fw) {
    const std::string severity = opt_string(f, "severity", fw).value_or("?");
    errors += severity == "error";
    warnings += severity == "warning";
    findings.rows.push_back({{severity, severity == "error" ? Tone::bad : severity == "warning" ? Tone::warning : Tone::plain},
                             {opt_string(f, "check", fw).value_or("")},
                             {opt_string(f, "subject", fw).value_or("")},
                             {opt_string(f, "message", fw).value_or("")}});
  });
  if (!findings.rows.empty()) s.tables.push_back(std::move(findings));
  s.findings.push_back({"node " + host, fmt::format("{} GPU(s), {} NIC(s); {} error(s), {} warning(s)", gpus.size(),
                                                    nics.size(), errors, warnings),
                        errors ? Tone::bad : warnings ? Tone::warning : Tone::good});
  return s;
}

}  // namespace cairn::reports
