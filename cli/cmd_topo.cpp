// cairn topo: the topology of this node (or of a file captured elsewhere) and the paths
// between its GPUs and NICs; or, with --cluster, a model of N such nodes and their network.
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "common/same_file.h"
#include "topology/cluster.h"
#include "topology/load.h"
#include "topology/nccl_xml.h"
#include "topology/node_presets.h"
#include "topology/paths.h"
#include "topology/summary.h"
#include "topology/topo_json.h"

namespace cairn::cli {
namespace {

bool is_preset(const std::string& name) {
  for (const auto& p : topology::cluster_preset_names())
    if (p == name) return true;
  return false;
}

// Anything at path, a broken symbolic link too, which the file reader then names.
bool names_something(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::symlink_status(path, ec));
}

int run_cluster(const std::string& which, int nodes, bool json, bool matrix, const std::string& save) {
  topology::ClusterSpec spec;
  if (is_preset(which)) {
    if (nodes <= 0) throw Error("--cluster " + which + " needs --nodes N (how many nodes)");
    spec = topology::cluster_preset(which, nodes);
  } else if (names_something(which)) {
    spec = topology::read_cluster_file(which);
    if (nodes > 0) spec.nodes = nodes;
  } else {
    std::string known;
    for (const auto& p : topology::cluster_preset_names()) known += (known.empty() ? "" : ", ") + p;
    throw Error("--cluster " + which + " is neither a preset (" + known + ") nor a cairn.cluster JSON file");
  }
  auto figures = topology::cluster_figures(spec);
  if (!save.empty()) topology::write_cluster_file(spec, save);
  if (json) {
    Json doc = topology::cluster_to_json(spec);
    doc["figures"] = {{"gpus_per_node", figures.gpus_per_node}, {"gpus", figures.gpus}, {"nics", figures.nics},
                      {"node_network_gb_s", figures.node_network_gb_s}, {"gpu_network_gb_s", figures.gpu_network_gb_s},
                      {"injection_gb_s", figures.injection_gb_s}, {"bisection_gb_s", figures.bisection_gb_s}};
    std::cout << doc.dump(2) << "\n";
    return 0;
  }
  std::cout << topology::format_cluster(spec, figures);
  if (matrix) std::cout << "\nNode type " << spec.node_type << ":\n" << topology::format_matrix(topology::node_preset(spec.node_type));
  if (!save.empty()) std::cout << "Saved to " << save << "\n";
  return 0;
}

}  // namespace

int cmd_topo(const Args& args) {
  po::options_description desc("Options");
  std::string from, cluster, export_nccl, save_cluster;
  int nodes = 0;
  desc.add_options()
      ("from", po::value(&from), "read FILE instead of probing this node: an NCCL topology XML, an hwloc XML, "
                                 "a 'cairn probe --json' file, or a capture DIR")
      ("matrix", po::bool_switch(), "print the GPU/NIC path matrix as 'nvidia-smi topo -m' does")
      ("json", po::bool_switch(), "print JSON (schema cairn.topo, or cairn.cluster with --cluster)")
      ("export-nccl", po::value(&export_nccl), "write the topology as an NCCL topology file (for NCCL_TOPO_FILE)")
      ("cluster", po::value(&cluster), "model a cluster: a preset (dgx-h100, gh200-alps, pcie-only) or a "
                                       "cairn.cluster JSON file")
      ("nodes", po::value(&nodes), "number of nodes for --cluster")
      ("save-cluster", po::value(&save_cluster), "with --cluster, save the model as cairn.cluster JSON");
  po::variables_map vm;
  if (!parse_options("topo", "[--from FILE|DIR] [--matrix] [--json] [--export-nccl OUT.xml] | "
                             "--cluster PRESET|FILE [--nodes N] [--save-cluster OUT.json]",
                     args, desc, vm))
    return 0;
  bool json = vm["json"].as<bool>(), matrix = vm["matrix"].as<bool>();
  if (vm.count("nodes") && nodes < 1) throw Error("--nodes must be at least 1");
  refuse_output_over_inputs({"--export-nccl", export_nccl}, {{"--from", from}});
  refuse_output_over_inputs({"--save-cluster", save_cluster}, {{"--cluster", is_preset(cluster) ? "" : cluster}});
  if (!cluster.empty()) {
    if (!from.empty() || !export_nccl.empty())
      throw Error("--cluster models presets; it does not take --from or --export-nccl");
    return run_cluster(cluster, nodes, json, matrix, save_cluster);
  }
  if (vm.count("nodes") || !save_cluster.empty()) throw Error("--nodes and --save-cluster need --cluster");

  topology::Graph g = from.empty() ? topology::live_topology() : topology::load_topology(from);
  if (!export_nccl.empty()) {
    topology::write_nccl_xml_file(g, export_nccl);
    std::cerr << "Wrote " << export_nccl << " (" << g.of_kind(topology::VertexKind::gpu).size() << " GPUs, "
              << g.of_kind(topology::VertexKind::nic).size() << " NICs); use it with NCCL_TOPO_FILE=" << export_nccl
              << "\n";
  }
  if (json) {
    std::cout << topology::topology_to_json(g).dump(2) << "\n";
  } else if (matrix) {
    std::cout << topology::format_matrix(g);
  } else if (export_nccl.empty()) {
    std::cout << topology::format_summary(g);
  }
  return 0;
}

}  // namespace cairn::cli
