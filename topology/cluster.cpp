#include "topology/cluster.h"

#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "common/untrusted_text.h"
#include "common/text_file.h"
#include "topology/graph.h"
#include "topology/node_presets.h"

namespace cairn::topology {
namespace {

constexpr const char* kSchema = "cairn.cluster";
constexpr int kSchemaVersion = 1;

const char* shape_name(NetworkShape s) { return s == NetworkShape::fat_tree ? "fat-tree" : "dragonfly"; }

void check_nodes(int nodes, const std::string& what) {
  if (nodes < 1 || nodes > 1000000) fail(what, "node count " + std::to_string(nodes) + " is out of range (1-1000000)");
}

}  // namespace

std::vector<std::string> cluster_preset_names() { return node_preset_names(); }

ClusterSpec cluster_preset(const std::string& name, int nodes) {
  check_nodes(nodes, "cluster preset " + name);
  ClusterSpec c;
  c.name = name;
  c.node_type = name;
  c.nodes = nodes;
  auto& n = c.network;
  if (name == "dgx-h100" || name == "pcie-only") {
    n.transport = "ibverbs";
    n.nccl_net = "IB";
    n.nics_per_node = name == "dgx-h100" ? 8 : 2;
    n.link_gbit_s = 400;  // ConnectX-7, NDR
    n.shape = NetworkShape::fat_tree;
    n.oversubscription = 1.0;
    c.notes.push_back("InfiniBand NDR, non-blocking (rail-optimised) fat-tree; set network.oversubscription if tapered");
  } else if (name == "gh200-alps") {
    n.transport = "slingshot-cxi";
    n.nccl_net = "aws-ofi-nccl (libfabric cxi)";
    n.nics_per_node = 4;
    n.link_gbit_s = 200;  // Slingshot-11 Cassini, one per GH200
    n.shape = NetworkShape::dragonfly;
    n.group_nodes = 128;
    n.global_taper = 1.0;
    c.notes.push_back("HPE Slingshot-11, not InfiniBand: NCCL reaches it through the aws-ofi-nccl plugin over "
                      "libfabric's cxi provider (NCCL_NET_PLUGIN), ibverbs sees no device");
    c.notes.push_back("dragonfly group of 128 nodes and global taper 1.0 are assumptions; set network.group_nodes and "
                      "network.global_taper for your system");
  } else {
    node_preset(name);  // throws the "unknown node type ... known: ..." error
  }
  return c;
}

ClusterFigures cluster_figures(const ClusterSpec& c) {
  ClusterFigures f;
  Graph node = node_preset(c.node_type);
  f.gpus_per_node = static_cast<int>(node.of_kind(VertexKind::gpu).size());
  f.gpus = f.gpus_per_node * c.nodes;
  f.nics = c.network.nics_per_node * c.nodes;
  f.node_network_gb_s = c.network.nics_per_node * c.network.link_gbit_s / 8.0;
  f.gpu_network_gb_s = f.gpus_per_node > 0 ? f.node_network_gb_s / f.gpus_per_node : 0;
  f.injection_gb_s = f.node_network_gb_s * c.nodes;
  double half = std::floor(c.nodes / 2.0) * f.node_network_gb_s;
  if (c.network.shape == NetworkShape::fat_tree) {
    f.bisection_gb_s = half / c.network.oversubscription;
  } else {
    // Dragonfly (Kim, Dally, Scott, Abts, ISCA 2008): every group has global links to every
    // other, G = group_nodes x injection x taper in total, G/(g-1) to each. Cutting g groups
    // into halves leaves floor(g/2) x ceil(g/2) group pairs across the cut.
    double g = std::ceil(static_cast<double>(c.nodes) / c.network.group_nodes);
    if (g <= 1) {
      f.bisection_gb_s = half;  // one group: its switches are all-to-all
    } else {
      double group_global = c.network.group_nodes * f.node_network_gb_s * c.network.global_taper;
      double across = std::floor(g / 2) * std::ceil(g / 2) * group_global / (g - 1);
      f.bisection_gb_s = std::min(half, across);
    }
  }
  return f;
}

Json cluster_to_json(const ClusterSpec& c) {
  Json net = {{"transport", c.network.transport},
              {"nccl_net", c.network.nccl_net},
              {"nics_per_node", c.network.nics_per_node},
              {"link_gbit_s", c.network.link_gbit_s},
              {"shape", shape_name(c.network.shape)}};
  if (c.network.shape == NetworkShape::fat_tree) {
    net["oversubscription"] = c.network.oversubscription;
  } else {
    net["group_nodes"] = c.network.group_nodes;
    net["global_taper"] = c.network.global_taper;
  }
  Json doc = {{"name", c.name}, {"node_type", c.node_type}, {"nodes", c.nodes}, {"network", net}, {"notes", c.notes}};
  return with_schema(doc, kSchema, kSchemaVersion);
}

ClusterSpec cluster_from_json(const Json& doc, const std::string& source) {
  require_schema(doc, kSchema, kSchemaVersion, source);
  ClusterSpec c;
  c.name = json_field<std::string>(doc, "name", source);
  c.node_type = json_field<std::string>(doc, "node_type", source);
  try {
    node_preset(c.node_type);
  } catch (const Error& e) {
    fail(source, std::string("field node_type: ") + e.what());
  }
  c.nodes = json_field<int>(doc, "nodes", source);
  check_nodes(c.nodes, source);
  if (doc.contains("notes")) c.notes = json_field<std::vector<std::string>>(doc, "notes", source);
  Json net = json_field<Json>(doc, "network", source);
  const std::string where = source + " (network)";
  auto& n = c.network;
  n.transport = json_field<std::string>(net, "transport", where);
  n.nccl_net = json_field<std::string>(net, "nccl_net", where);
  n.nics_per_node = json_field<int>(net, "nics_per_node", where);
  n.link_gbit_s = json_field<double>(net, "link_gbit_s", where);
  if (n.nics_per_node < 0 || n.nics_per_node > 1024) fail(where, "nics_per_node must be 0-1024");
  if (!(n.link_gbit_s > 0 && n.link_gbit_s <= 100000)) fail(where, "link_gbit_s must be above 0 (10^9 bit/s per NIC)");
  std::string shape = json_field<std::string>(net, "shape", where);
  if (shape == "fat-tree") {
    n.shape = NetworkShape::fat_tree;
    n.oversubscription = json_field<double>(net, "oversubscription", where);
    if (!(n.oversubscription >= 1 && n.oversubscription <= 64))
      fail(where, "oversubscription must be 1 (full bisection) to 64");
  } else if (shape == "dragonfly") {
    n.shape = NetworkShape::dragonfly;
    n.group_nodes = json_field<int>(net, "group_nodes", where);
    n.global_taper = json_field<double>(net, "global_taper", where);
    if (n.group_nodes < 1) fail(where, "group_nodes must be at least 1");
    if (!(n.global_taper > 0 && n.global_taper <= 4)) fail(where, "global_taper must be above 0 and at most 4");
  } else {
    fail(where, "shape is " + quote_excerpt(shape) + "; expected \"fat-tree\" or \"dragonfly\"");
  }
  return c;
}

ClusterSpec read_cluster_file(const std::string& path) { return cluster_from_json(read_json_file(path), path); }

void write_cluster_file(const ClusterSpec& c, const std::string& path) {
  write_file_atomically(path, cluster_to_json(c).dump(2) + "\n");
}

std::string format_cluster(const ClusterSpec& c, const ClusterFigures& f) {
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof buf, "Cluster %s: %d x %s (%d GPUs per node) = %d GPUs\n", c.name.c_str(), c.nodes,
                c.node_type.c_str(), f.gpus_per_node, f.gpus);
  out += buf;
  const auto& n = c.network;
  char shape[96];
  if (n.shape == NetworkShape::fat_tree)
    std::snprintf(shape, sizeof shape, "fat-tree, oversubscription %g:1", n.oversubscription);
  else
    std::snprintf(shape, sizeof shape, "dragonfly, %d nodes per group, global taper %g", n.group_nodes, n.global_taper);
  std::snprintf(buf, sizeof buf, "Network: %s via %s, %s\n", n.transport.c_str(), n.nccl_net.c_str(), shape);
  out += buf;
  std::snprintf(buf, sizeof buf, "  per node   %d x %g Gb/s = %.1f GB/s into the network (%.1f GB/s per GPU)\n",
                n.nics_per_node, n.link_gbit_s, f.node_network_gb_s, f.gpu_network_gb_s);
  out += buf;
  std::snprintf(buf, sizeof buf, "  injection  %.1f GB/s, all %d nodes\n", f.injection_gb_s, c.nodes);
  out += buf;
  std::snprintf(buf, sizeof buf, "  bisection  %.1f GB/s, one direction (estimate)\n", f.bisection_gb_s);
  out += buf;
  // Notes wrapped to stay within 100 columns.
  for (const auto& note : c.notes) {
    std::string line = "  note:";
    std::size_t start = 0;
    while (start < note.size()) {
      auto end = note.find(' ', start);
      if (end == std::string::npos) end = note.size();
      std::string word = note.substr(start, end - start);
      if (line.size() + 1 + word.size() > 100) {
        out += line + "\n";
        line = "       ";
      }
      line += " " + word;
      start = end + 1;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace cairn::topology
