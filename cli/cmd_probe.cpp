// cairn probe: what this node (or a capture, a snapshot, an hwloc XML) is made of and what is wrong
// with it. Exit 0 healthy, 1 an error-level check failed, 2 could not run. `cairn probe storage
// PATH` is the storage probe (cmd_probe_storage.cpp).
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "probe/discover.h"
#include "probe/expect_spec.h"
#include "probe/health.h"
#include "probe/node_json.h"
#include "probe/summary.h"

namespace cairn::cli {

int cmd_probe(const Args& args) {
  if (!args.empty() && args.front() == "storage") return cmd_probe_storage(Args(args.begin() + 1, args.end()));
  po::options_description desc("Options");
  std::string expect_path, capture_dir, from;
  desc.add_options()
      ("json", po::bool_switch(), "print JSON (schema cairn.probe, docs/probe-schema.md) instead of the summary")
      ("expect", po::value(&expect_path), "node type to check against (schema cairn.expect: gpus, nics, "
                                          "nic_rate_gbit_s, gpu_model, pcie_gen, pcie_width)")
      ("capture", po::value(&capture_dir), "also save what was read (hwloc XML, sysfs, GPU facts) in DIR "
                                           "for 'cairn probe --from DIR' elsewhere")
      ("from", po::value(&from), "analyse a capture DIR, a /sys + /proc snapshot DIR (as from "
                                 "hwloc-gather-topology), an hwloc XML file or a 'cairn probe --json' file "
                                 "instead of this node");
  po::variables_map vm;
  const char* synopsis = "[--json] [--expect SPEC.json] [--capture DIR | --from DIR|FILE]  (or: storage PATH --help)";
  if (!parse_options("probe", synopsis, args, desc, vm))
    return 0;
  if (!capture_dir.empty() && !from.empty())
    throw cairn::Error("--capture saves this node and --from reads another; give one of them");

  // Read the expectation first: a typo there should not cost a discovery.
  probe::ExpectSpec expect;
  if (!expect_path.empty()) expect = probe::read_expect_spec(expect_path);
  probe::NodeInfo node = from.empty() ? probe::probe_live(capture_dir) : probe::probe_from(from);
  auto findings = probe::check_node(node, expect);

  if (vm["json"].as<bool>()) {
    Json doc = probe::node_to_json(node);
    doc["findings"] = probe::findings_to_json(findings);
    // Names come from files and drivers: never let one invalid UTF-8 byte lose the report.
    std::cout << doc.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  } else {
    std::cout << probe::render_summary(node, findings);
    if (!capture_dir.empty()) std::cout << "Captured to " << capture_dir << " (read it with 'cairn probe --from "
                                        << capture_dir << "')\n";
  }
  return probe::count_findings(findings, probe::Severity::error) > 0 ? 1 : 0;
}

}  // namespace cairn::cli
