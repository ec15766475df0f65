// A cluster: N nodes of one node type (topology/node_presets.h) and the network between
// them (NICs per node, link rate, transport, fat-tree or dragonfly shape), with the figures
// a plan needs: bandwidth per node and per GPU into the network, total injection, and an
// estimate of the bisection bandwidth. Saved and loaded as JSON, schema "cairn.cluster" v1.
//
// Presets (cluster_preset): dgx-h100 (InfiniBand NDR, non-blocking fat-tree), gh200-alps
// (Slingshot-11 dragonfly through aws-ofi-nccl and libfabric cxi; not InfiniBand),
// pcie-only (InfiniBand NDR fat-tree).
#pragma once

#include <string>
#include <vector>

#include "common/json_io.h"

namespace cairn::topology {

enum class NetworkShape { fat_tree, dragonfly };

struct NetworkSpec {
  std::string transport;        // "ibverbs" (InfiniBand), "slingshot-cxi", "roce"
  std::string nccl_net;         // how NCCL reaches it: "IB", "aws-ofi-nccl (libfabric cxi)"
  int nics_per_node = 0;
  double link_gbit_s = 0;       // per NIC, 10^9 bit/s
  NetworkShape shape = NetworkShape::fat_tree;
  // fat-tree: leaf downlink to uplink ratio; 1 is full bisection, 2 means 2:1 tapered.
  double oversubscription = 1.0;
  // dragonfly: nodes per group, and the share of a group's injection bandwidth its global
  // links can carry (1: as much as its nodes inject).
  int group_nodes = 0;
  double global_taper = 1.0;
};

struct ClusterSpec {
  std::string name;
  std::string node_type;        // a node preset name
  int nodes = 0;
  NetworkSpec network;
  std::vector<std::string> notes;  // assumptions the figures rest on
};

struct ClusterFigures {
  int gpus_per_node = 0;
  int gpus = 0;
  int nics = 0;
  double node_network_gb_s = 0;   // one node into the network, one direction, 10^9 B/s
  double gpu_network_gb_s = 0;    // per GPU
  double injection_gb_s = 0;      // all nodes together
  double bisection_gb_s = 0;      // across the worst cut into two halves, one direction
};

std::vector<std::string> cluster_preset_names();
// Throws cairn::Error naming the preset (and the known ones) or a bad node count.
ClusterSpec cluster_preset(const std::string& name, int nodes);

ClusterFigures cluster_figures(const ClusterSpec& c);

Json cluster_to_json(const ClusterSpec& c);
// Checks the schema and every field; errors name `source` and the field.
ClusterSpec cluster_from_json(const Json& doc, const std::string& source);
ClusterSpec read_cluster_file(const std::string& path);
void write_cluster_file(const ClusterSpec& c, const std::string& path);

// A few lines for people.
std::string format_cluster(const ClusterSpec& c, const ClusterFigures& f);

}  // namespace cairn::topology
